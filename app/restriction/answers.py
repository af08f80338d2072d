"""Answering a restriction (Art 18) or objection (Art 21) request. (A
consent withdrawal, answered by letter too, is answered as its consents are
withdrawn: ``app.restriction.consent_withdrawal``.)

These requests are not answered with a copy of the data (Art 15) but with a
letter saying what was done (Art 12(3)): the restriction in force and what it
means, or each objection's decision; a rejected one with its grounds and the
right to complain to the ICO and to go to court (Art 12(4)). ``answer`` sends
that letter and moves the case to responded, once the work is done.
"""

from __future__ import annotations

from app.accounts.models import User
from app.cases import lifecycle
from app.cases.lifecycle import ANSWERED_BY_LETTER, IllegalTransition
from app.cases.models import Case, CaseStatus, RequestType
from app.cases.services import send_letter
from app.restriction import letters
from app.restriction.models import ObjectionDecision
from app.restriction.objections import objections_for
from app.restriction.services import restrictions_for, subject_records
from app.sources.validation import FieldError

RESTRICTION_MAIL_CATEGORY = "case.restriction_started"
OBJECTION_MAIL_CATEGORY = "case.objection_decided"
# A consent withdrawal's letter goes when the consents withdrawn are recorded
# (app.restriction.consent_withdrawal): there is no separate answer to send.
CONSENT_WITHDRAWAL_ANSWER = (
    "a consent withdrawal is answered by recording the consents withdrawn, which sends the requester "
    "its confirmation"
)


def work_left(case: Case) -> str | None:
    """What must be done before the case can be answered, or None when it
    can: a restriction recorded (in force or since lifted), or every
    objection decided (at least one)."""
    if case.request_type is RequestType.RESTRICTION:
        if not restrictions_for(case):
            if not subject_records(case):
                return (
                    "No record is confirmed as the subject's: confirm their records and restrict them, or, "
                    "if the search found nothing of theirs, answer that we hold no personal data about them "
                    "(Find the person)"
                )
            return "Restrict the subject's records before sending the answer"
        return None
    if case.request_type is RequestType.OBJECTION:
        found = objections_for(case)
        if not found:
            return "Record the objection before sending the answer"
        pending = sum(1 for o in found if o.decision is ObjectionDecision.PENDING)
        if pending:
            return f"Decide every objection before sending the answer: {pending} still to decide"
        return None
    if case.request_type is RequestType.CONSENT_WITHDRAWAL:
        return CONSENT_WITHDRAWAL_ANSWER[:1].upper() + CONSENT_WITHDRAWAL_ANSWER[1:]
    return f"A {case.request_type.value} request is not answered with a letter of what was done"


def answer(case: Case, actor: User) -> Case:
    """Tell the requester what was done and move the case to responded.
    Refuses (``IllegalTransition``) another request type or an answered or
    paused case, and (``FieldError`` on ``case``) work not done. The caller
    commits."""
    if case.request_type is RequestType.CONSENT_WITHDRAWAL:
        raise IllegalTransition(case, CaseStatus.RESPONDED, CONSENT_WITHDRAWAL_ANSWER)
    if case.request_type not in ANSWERED_BY_LETTER:
        raise IllegalTransition(
            case,
            CaseStatus.RESPONDED,
            f"only restriction and objection requests are answered by letter, not {case.request_type.value}",
        )
    problem = work_left(case)
    if problem is not None:
        raise FieldError("case", problem)
    restriction = case.request_type is RequestType.RESTRICTION
    letter = letters.restriction_started(case) if restriction else letters.objection_decided(case)
    category = RESTRICTION_MAIL_CATEGORY if restriction else OBJECTION_MAIL_CATEGORY
    lifecycle.move(case, CaseStatus.RESPONDED, actor, data={"letter": category})
    send_letter(case, letter, case.requester_email, category)
    lifecycle.audit_case("case.answered", case, actor, {"letter": category})
    return case
