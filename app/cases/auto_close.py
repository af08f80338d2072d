"""Closing answered cases once nothing more is expected of them.

A case that was answered (responded or refused) waits for staff to close it,
and only closing starts the retention of what it copied (response packs,
evidence, collected items: ``app.exports.retention``) and, years later, of
its own record (``app.cases.record_retention``). Left to a busy DPO, answered
cases stayed open and their copies were kept without end, which Art 5(1)(e)
does not allow. So a case answered ``RIGHTSDESK_AUTO_CLOSE_DAYS`` ago (30 by
default: time for the requester to come back about the answer) with nothing
since is closed by the daily task, recorded as a move by the system.

A case with an email still waiting or refused by the mail server stays open:
its answer may never have reached the requester, and staff must see it on
the case list rather than have its copies destroyed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.audit.services import record
from app.cases import lifecycle
from app.cases.models import Case, CaseStatus
from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboxMessage, OutboxStatus

# Read from the environment by app/config.py; the fallback serves an app
# configured without it.
DEFAULT_DAYS = 30
CONFIG_KEY = "RIGHTSDESK_AUTO_CLOSE_DAYS"
ANSWERED: frozenset[CaseStatus] = frozenset({CaseStatus.RESPONDED, CaseStatus.REFUSED})
_UNDELIVERED = (OutboxStatus.PENDING, OutboxStatus.FAILED)


@dataclass(frozen=True)
class AnsweredCase:
    case_id: uuid.UUID
    reference: str | None
    answered_at: datetime


@dataclass(frozen=True)
class AutoClose:
    cutoff: datetime
    dry_run: bool
    closed: list[AnsweredCase]  # in the order they were answered
    kept_for_mail: list[AnsweredCase]  # due, but an email about each is undelivered

    def __str__(self) -> str:
        verb = "would be closed" if self.dry_run else "closed"
        text = f"{len(self.closed)} case(s) answered before {self.cutoff:%Y-%m-%d %H:%M} UTC {verb}"
        if self.kept_for_mail:
            text += f"; {len(self.kept_for_mail)} kept open: an email about each is not delivered"
        return text


def auto_close_days() -> int:
    return int(current_app.config.get(CONFIG_KEY) or DEFAULT_DAYS)


def answered_at(case: Case) -> datetime | None:
    """When an answered case was answered. Only a lifecycle move sets
    ``updated_at``, and the move into an answered status is a case's last
    until it closes."""
    return case.updated_at if case.status in ANSWERED else None


def closes_on(case: Case) -> date | None:
    """The day the daily task will close this answered case, if nobody does
    first (it runs once a day, so on that day or the next)."""
    answered = answered_at(case)
    if answered is None:
        return None
    return (answered + timedelta(days=auto_close_days())).date()


def _has_undelivered_mail(case_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not case_ids:
        return set()
    return set(
        db.session.scalars(
            select(OutboxMessage.case_id)
            .where(OutboxMessage.case_id.in_(case_ids), OutboxMessage.status.in_(_UNDELIVERED))
            .distinct()
        )
    )


def close_answered(now: datetime | None = None, *, dry_run: bool = False) -> AutoClose:
    """Close (or, with ``dry_run``, list) the cases answered more than
    ``RIGHTSDESK_AUTO_CLOSE_DAYS`` before ``now``, and record how many (an
    audit event); the caller commits. A re-run finds them closed."""
    days = auto_close_days()
    cutoff = (now or utcnow()) - timedelta(days=days)
    due = list(
        db.session.scalars(
            select(Case)
            .where(Case.status.in_(ANSWERED), Case.updated_at < cutoff)
            .order_by(Case.updated_at, Case.id)
        )
    )
    waiting = _has_undelivered_mail([case.id for case in due])
    closing = [case for case in due if case.id not in waiting]
    # Built before the moves, which stamp ``updated_at`` anew.
    result = AutoClose(
        cutoff,
        dry_run,
        [AnsweredCase(c.id, c.reference, c.updated_at) for c in closing],
        [AnsweredCase(c.id, c.reference, c.updated_at) for c in due if c.id in waiting],
    )
    if not dry_run:
        for case in closing:
            lifecycle.move(case, CaseStatus.CLOSED, data={"automatic": True, "answered_days": days})
    if not dry_run and result.closed:
        record(
            "cases.auto_closed",
            actor_type="system",
            data={
                "closed": len(result.closed),
                "kept_for_mail": len(result.kept_for_mail),
                "days": days,
                "cutoff": cutoff.isoformat(),
            },
        )
    return result
