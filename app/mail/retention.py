"""Deleting mail once it has done its work.

Every email is written to the outbox before it is sent (``app.mail.services``),
addresses, subject and bodies sealed. Once delivered, the copy has one use
left: showing what was sent, should the person say it never came or dispute
what it said. The ICO expects a complaint within three months of the last
contact, so a delivered message is kept for ``RIGHTSDESK_SENT_MAIL_RETENTION_DAYS``
(90 by default) after it was sent and then deleted; the case's timeline
still says which letter went and when (its ``mail_sent`` lines carry the
category). Messages kept because no SMTP server is configured (development)
go the same number of days after they were written.

Messages still waiting stay. A failed message about a case stays with the
case (its page offers to send it again) until the case record is reduced.
A failed message about no case (a staff invitation or password reset, whose
link expired within days) goes the same number of days after its last
attempt: by then the Staff page has long shown it, and a new invitation or
reset is a new message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, delete, func, select

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboxMessage, OutboxStatus

# Read from the environment by app/config.py; the fallback serves an app
# configured without it.
RETENTION_DAYS = 90
CONFIG_KEY = "RIGHTSDESK_SENT_MAIL_RETENTION_DAYS"


@dataclass(frozen=True)
class MailPurge:
    cutoff: datetime
    dry_run: bool
    sent: int
    unsent_outbox: int
    failed_staff: int

    def __str__(self) -> str:
        verb = "would be deleted" if self.dry_run else "deleted"
        return (
            f"{self.sent} delivered message(s), {self.unsent_outbox} outbox-only message(s) and "
            f"{self.failed_staff} undelivered message(s) about no case "
            f"from before {self.cutoff:%Y-%m-%d %H:%M} UTC {verb}"
        )


def retention_days() -> int:
    return int(current_app.config.get(CONFIG_KEY) or RETENTION_DAYS)


# Which messages go, and from when their days are counted.
_RULES: tuple[tuple[ColumnElement[bool], ColumnElement[datetime]], ...] = (
    (OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at),
    (OutboxMessage.status == OutboxStatus.OUTBOX, OutboxMessage.created_at),
    (
        (OutboxMessage.status == OutboxStatus.FAILED) & OutboxMessage.case_id.is_(None),
        # A failure written before attempts were timed counts from its writing.
        func.coalesce(OutboxMessage.last_attempt_at, OutboxMessage.created_at),
    ),
)


def purge_old_mail(now: datetime | None = None, *, dry_run: bool = False) -> MailPurge:
    """Delete (or, with ``dry_run``, count) the messages past retention, and
    record how many went (an audit event); the caller commits. Recipient
    notices that pointed at a deleted message keep their own record of it
    (the foreign key is set to null)."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days())
    counts = []
    for which, since in _RULES:
        expired = which & (since < cutoff)
        if dry_run:
            counts.append(db.session.scalar(select(func.count()).select_from(OutboxMessage).where(expired)))
        else:
            gone = delete(OutboxMessage).where(expired).execution_options(synchronize_session=False)
            counts.append(db.session.execute(gone).rowcount)
    sent, unsent_outbox, failed_staff = (count or 0 for count in counts)
    if not dry_run:
        record(
            "mail.purged",
            data={
                "sent": sent,
                "outbox": unsent_outbox,
                "failed_staff": failed_staff,
                "cutoff": cutoff.isoformat(),
            },
        )
    return MailPurge(cutoff, dry_run, sent, unsent_outbox, failed_staff)
