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

Messages still waiting, or failed, stay: they have not done their work, and
``flask mail outbox --status failed`` is how staff find them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, delete, func, select

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

    def __str__(self) -> str:
        verb = "would be deleted" if self.dry_run else "deleted"
        return (
            f"{self.sent} delivered message(s) and {self.unsent_outbox} outbox-only message(s) "
            f"from before {self.cutoff:%Y-%m-%d %H:%M} UTC {verb}"
        )


def retention_days() -> int:
    return int(current_app.config.get(CONFIG_KEY) or RETENTION_DAYS)


# Which messages go, and from when their days are counted.
_RULES = ((OutboxStatus.SENT, OutboxMessage.sent_at), (OutboxStatus.OUTBOX, OutboxMessage.created_at))


def _expired(status: OutboxStatus, since: ColumnElement[datetime], cutoff: datetime) -> ColumnElement[bool]:
    return (OutboxMessage.status == status) & (since < cutoff)


def purge_old_mail(now: datetime | None = None, *, dry_run: bool = False) -> MailPurge:
    """Delete (or, with ``dry_run``, count) the messages past retention; the
    caller commits. Recipient notices that pointed at a deleted message keep
    their own record of it (the foreign key is set to null)."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days())
    counts = []
    for status, since in _RULES:
        expired = _expired(status, since, cutoff)
        if dry_run:
            counts.append(db.session.scalar(select(func.count()).select_from(OutboxMessage).where(expired)))
        else:
            gone = delete(OutboxMessage).where(expired).execution_options(synchronize_session=False)
            counts.append(db.session.execute(gone).rowcount)
    sent, unsent_outbox = counts
    return MailPurge(cutoff, dry_run, sent or 0, unsent_outbox or 0)
