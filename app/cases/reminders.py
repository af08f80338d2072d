"""Daily deadline reminders (run by ``flask scheduler`` through
``app.jobs.schedule``), to the assignee (or the company's DPO mailbox) and
the school's data-protection contact.

Two dates are watched, each on its own (DESIGN §5: the internal target
drives reminders when earlier and never replaces the statutory date):

- the statutory due date: 7, 3 and 1 working days before it, and once when
  it has passed ("overdue");
- the company's internal target, only while it is earlier than the
  statutory date: 7, 3 and 1 working days before it, and once, when it has
  passed, an "internal target missed" notice, which never calls the case
  overdue and goes only while the statutory date is still ahead (after
  that the statutory "overdue" says more). The internal target is stored
  as the calendar date the company's procedure promises (received plus 30
  days), not moved off a weekend or bank holiday; but a target on a
  non-working day is not called missed before the next working day after
  it (a Saturday's on the Monday).

Each reminder is sent once per case, threshold and date: a ``CaseReminder``
row is written with the mail, in the same transaction, and its unique key
makes a re-run (or a second scheduler) a no-op. An internal target's rows
are told apart by their threshold (``int-7`` ... ``int-missed``). When a
date moves (an extension, a pause answered) its reminders start afresh for
the new date, once each. If a run misses a day the most urgent threshold
reached is sent, not the skipped ones. When both dates have a reminder due
the same day, one message carries both.

No due-date reminders while the clock has not started (the requester was
asked for proof of identity or authority and it has not all arrived) or is
paused (the due date is unknown until the answer comes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.cases import clock, letters
from app.cases.clock_inputs import clock_for
from app.cases.lifecycle import add_event
from app.cases.models import Case, CaseReminder, CaseStatus, Relationship
from app.cases.services import identity_was_requested, today_or
from app.db import new_uuid, utcnow
from app.extensions import db
from app.mail import send_mail

# Cases whose deadline can be running: not yet answered, not ended, not paused.
RUNNING = (
    CaseStatus.AWAITING_IDENTITY,
    CaseStatus.OPEN,
    CaseStatus.GATHERING,
    CaseStatus.IN_REVIEW,
    CaseStatus.APPROVED,
    CaseStatus.EXECUTING,
)
# The internal target's reminder rows: the threshold with this prefix.
INTERNAL = "int-"
MISSED = "missed"


@dataclass(frozen=True)
class DueReminders:
    """What is due on one day for one case: the statutory date's threshold
    ("7", "3", "1", "overdue") and the internal target's ("7", "3", "1",
    "missed"), each None when nothing is."""

    statutory: str | None
    internal: str | None


def company_mailbox() -> str:
    return current_app.config.get("DPO_MAILBOX") or current_app.config["MAIL_SENDER"]


def internal_threshold(due: date, internal: date | None, today: date, nation: str) -> str | None:
    """The internal target's reminder on ``today``: 7/3/1 working days before
    it, "missed" once it has passed (from the next working day after it, and
    only while the statutory date ``due`` is not passed), else None. Only an
    internal target earlier than the statutory date has any."""
    if internal is None or internal >= due:
        return None
    if today <= internal:
        return clock.reminder_threshold(internal, today, nation)
    if clock.add_working_days(internal, 1, nation) <= today <= due:
        return MISSED
    return None


def reminders_due(result: clock.ClockResult, today: date, nation: str) -> DueReminders:
    """Pure: the reminders a clock calls for on ``today`` (before checking
    which were already sent)."""
    if result.due is None:  # paused: no date to remind of
        return DueReminders(None, None)
    return DueReminders(
        clock.reminder_threshold(result.due, today, nation),
        internal_threshold(result.due, result.internal_target, today, nation),
    )


def clock_not_started(case: Case) -> bool:
    """Awaiting identity, the requester asked for proof that has not all
    arrived: the month starts only when it does (DESIGN §5)."""
    if case.status is not CaseStatus.AWAITING_IDENTITY:
        return False
    missing = case.identity_received_on is None or (
        case.requester_relationship is not Relationship.SELF and case.authority_received_on is None
    )
    return missing and identity_was_requested(case)


def send_reminders(today: date | None = None) -> int:
    """Send the reminders due on ``today`` (the UK calendar day unless
    given, as everywhere on the clock); returns how many cases were reminded."""
    today = today_or(today)
    sent = 0
    cases = db.session.scalars(
        select(Case)
        .where(Case.status.in_(RUNNING), Case.reference.is_not(None))
        .options(joinedload(Case.organisation), joinedload(Case.assignee), selectinload(Case.pauses))
        .order_by(Case.id)
    ).all()
    for case in cases:
        result = clock_for(case)  # recomputed from the inputs, not the sort cache
        if result.due is None or clock_not_started(case):
            continue
        due = reminders_due(result, today, case.organisation.nation.value)
        statutory = _unsent(case, due.statutory, result.due)
        internal = _unsent(case, INTERNAL + due.internal if due.internal else None, result.internal_target)
        if statutory is None and internal is None:
            continue
        _send(case, result, today, statutory=due.statutory if statutory else None, internal=internal)
        sent += 1
    db.session.flush()
    return sent


def _unsent(case: Case, threshold: str | None, target: date | None) -> str | None:
    """``threshold`` unless it is None or already sent for ``target``."""
    if threshold is None or target is None:
        return None
    already = select(CaseReminder.id).where(
        CaseReminder.case_id == case.id,
        CaseReminder.threshold == threshold,
        CaseReminder.target_on == target,
    )
    return None if db.session.scalar(already) is not None else threshold


def _send(
    case: Case, result: clock.ClockResult, today: date, *, statutory: str | None, internal: str | None
) -> None:
    assert result.due is not None
    keys = [(statutory, result.due), (internal, result.internal_target)]
    for threshold, target in keys:
        if threshold is not None and target is not None:
            db.session.add(
                CaseReminder(
                    id=new_uuid(), case_id=case.id, threshold=threshold, target_on=target, sent_at=utcnow()
                )
            )
            add_event(case, "reminder_sent", None, {"threshold": threshold, "target": target.isoformat()})
    letter = letters.reminder(
        case,
        statutory or "",
        result.due,
        today=today,
        internal_target=result.internal_target if internal else None,
        internal_missed=internal == INTERNAL + MISSED,
    )
    recipients = [
        case.assignee.email if case.assignee else company_mailbox(),
        case.organisation.dp_contact_email,
    ]
    send_mail(
        recipients,
        letter.subject,
        letter.body,
        letter.html_body,
        category="case.reminder",
        case_id=case.id,
    )
