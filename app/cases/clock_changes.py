"""What changes a case's clock once it runs (DESIGN §5): a clarifying
question stops it (``pause``), the answer restarts it (``resume``), and an
extension gives two further months (``extend``).

Like ``app.cases.services``, each function changes the case in the caller's
transaction (the caller commits), moves it only through ``lifecycle.move``,
rewrites the clock's sort cache, records its events and writes the letter to
the requester to the mail outbox. Bad input raises ``FieldError`` (naming
the field); a move the lifecycle forbids raises ``IllegalTransition``.
"""

from __future__ import annotations

from datetime import date

from app.accounts.models import User
from app.cases import letters, lifecycle
from app.cases.clock_inputs import clock_for, refresh_clock
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CasePause, CaseStatus
from app.cases.services import checked_text, send_letter, today_or
from app.cases.status_links import mint_status_link
from app.db import new_uuid
from app.extensions import db
from app.sources.validation import FieldError

PAUSE_REASONS = ("clarify_scope", "clarify_dates", "clarify_systems", "other")
# Until identity is accepted the month has not begun: nothing to stop.
NOT_STARTED = frozenset({CaseStatus.SUBMITTED, CaseStatus.AWAITING_IDENTITY})

_audit = lifecycle.audit_case
# The extension letter is emailed when the extension is recorded, so that
# day is the notice's; it had to reach the requester within the month.
TOO_LATE_TO_EXTEND = (
    "the requester had to be told of an extension by the original due date, {due:%-d %B %Y}; "
    "that day has passed, so the case can no longer be extended"
)
NOTICE_GOES_TODAY = (
    "the notice is emailed today, with the reason: leave the notice date empty or give today's date"
)


def pause(
    case: Case,
    actor: User,
    *,
    reason: str,
    question: str,
    asked_on: date | None = None,
    today: date | None = None,
) -> CasePause:
    """Ask the requester a clarifying question; the clock stops from the day it is sent."""
    today = today_or(today)
    if reason not in PAUSE_REASONS:
        raise FieldError("reason", f"{reason!r} is not one of {', '.join(PAUSE_REASONS)}")
    question_text = checked_text(question, "question")
    if case.status in NOT_STARTED:
        raise IllegalTransition(case, CaseStatus.PAUSED, "the clock has not started, so it cannot stop")
    asked = asked_on or today
    start = clock_for(case).start
    if not start <= asked <= today:
        raise FieldError(
            "asked_on", f"must be between the day the clock started ({start:%-d %B %Y}) and today"
        )
    lifecycle.move(case, CaseStatus.PAUSED, actor, data={"reason": reason})
    item = CasePause(
        id=new_uuid(),
        case_id=case.id,
        asked_on=asked,
        asked_by_id=actor.id,
        reason=reason,
        question=question_text,
    )
    db.session.add(item)
    case.pauses.append(item)
    refresh_clock(case)
    send_letter(
        case,
        letters.clarification_request(case, question_text or "", mint_status_link(case)),
        case.requester_email,
        "case.clarification",
    )
    return item


def resume(
    case: Case, actor: User | None, *, answered_on: date | None = None, today: date | None = None
) -> Case:
    """The answer arrived: close the open pause, go back to where the case
    was, and tell the requester the new due date (the clarification letter
    promised it)."""
    today = today_or(today)
    open_pause = case.open_pause
    if case.status is not CaseStatus.PAUSED or open_pause is None:
        raise IllegalTransition(case, case.resume_status or CaseStatus.OPEN, "only a paused case resumes")
    answered = answered_on or today
    if not open_pause.asked_on <= answered <= today:
        raise FieldError("answered_on", "must be between the day the question was sent and today")
    back = case.resume_status
    assert back is not None  # guaranteed by the check constraint on paused cases
    open_pause.answered_on = answered
    lifecycle.move(case, back, actor, data={"answered_on": answered.isoformat()})
    clock_now = refresh_clock(case)
    if clock_now.due is not None:
        letter = letters.clock_restarted(case, answered, clock_now.due)
        send_letter(case, letter, case.requester_email, "case.clock_restarted")
    return case


def extend(
    case: Case, actor: User, *, reason: str, notice_on: date | None = None, today: date | None = None
) -> Case:
    """Extend by two further months: the reason is required, and the
    requester must be told, with it, within the month (Art 12(3)). The
    notice is the letter emailed now, so it is refused once the original
    (unextended) due date has passed; ``notice_on``, when given, must be
    today: a notice cannot be dated back."""
    today = today_or(today)
    reason_text = checked_text(reason, "reason")
    if case.status not in lifecycle.ACTIVE or case.status in NOT_STARTED:
        raise IllegalTransition(case, None, "only an open case can be extended")
    if case.extended_on is not None:
        raise FieldError("reason", "this case has already been extended")
    result = clock_for(case)
    if result.original_due is None:
        raise FieldError("notice_on", "the clock is paused; resume the case before extending it")
    if today > result.original_due:
        raise FieldError("notice_on", TOO_LATE_TO_EXTEND.format(due=result.original_due))
    if notice_on is not None and notice_on != today:
        raise FieldError("notice_on", NOTICE_GOES_TODAY)
    notice = today
    case.extended_on = today
    case.extension_reason = reason_text
    case.extension_notice_sent_on = notice
    extended = refresh_clock(case)
    send_letter(
        case,
        letters.extension_notice(case, reason_text or "", extended.due),
        case.requester_email,
        "case.extension",
    )
    data = {"due": extended.due.isoformat() if extended.due else None, "notice_on": notice.isoformat()}
    _audit("case.extended", case, actor, data)
    lifecycle.add_event(case, "extended", actor, data)
    return case
