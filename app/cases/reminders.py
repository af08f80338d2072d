"""Daily deadline reminders (run by ``flask scheduler`` through
``app.jobs.schedule``): when a case's reminder date (the earlier of the
statutory due date and the internal target) is 7, 3 or 1 working days away,
and when it has passed, email the assignee (or the company's DPO mailbox)
and the school's data-protection contact.

Each reminder is sent once per case, threshold and reminder date: a
``CaseReminder`` row is written with the mail, in the same transaction, and
its unique key makes a re-run (or a second scheduler) a no-op. If a run
misses a day the most urgent threshold reached is sent, not the skipped ones.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.cases import clock, letters
from app.cases.clock_inputs import clock_for
from app.cases.lifecycle import add_event
from app.cases.models import Case, CaseReminder, CaseStatus
from app.db import new_uuid, utcnow
from app.extensions import db
from app.mail import send_mail

# Cases whose deadline is running: not yet answered, not ended, not paused.
RUNNING = (
    CaseStatus.AWAITING_IDENTITY,
    CaseStatus.OPEN,
    CaseStatus.GATHERING,
    CaseStatus.IN_REVIEW,
    CaseStatus.APPROVED,
    CaseStatus.EXECUTING,
)


def company_mailbox() -> str:
    return current_app.config.get("DPO_MAILBOX") or current_app.config["MAIL_SENDER"]


def send_reminders(today: date | None = None) -> int:
    """Send the reminders due on ``today``; returns how many cases were reminded."""
    today = today or utcnow().date()
    sent = 0
    cases = db.session.scalars(
        select(Case)
        .where(Case.status.in_(RUNNING), Case.reference.is_not(None))
        .options(joinedload(Case.organisation), joinedload(Case.assignee), selectinload(Case.pauses))
        .order_by(Case.id)
    ).all()
    for case in cases:
        result = clock_for(case)  # recomputed from the inputs, not the sort cache
        target = result.reminder_date
        if target is None:
            continue
        threshold = clock.reminder_threshold(target, today, case.organisation.nation.value)
        if threshold is None or _already_sent(case, threshold, target):
            continue
        db.session.add(
            CaseReminder(
                id=new_uuid(), case_id=case.id, threshold=threshold, target_on=target, sent_at=utcnow()
            )
        )
        letter = letters.reminder(case, threshold, target, today=today)
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
        add_event(case, "reminder_sent", None, {"threshold": threshold, "target": target.isoformat()})
        sent += 1
    db.session.flush()
    return sent


def _already_sent(case: Case, threshold: str, target: date) -> bool:
    return (
        db.session.scalar(
            select(CaseReminder.id).where(
                CaseReminder.case_id == case.id,
                CaseReminder.threshold == threshold,
                CaseReminder.target_on == target,
            )
        )
        is not None
    )
