"""Answering a request when the search finds no record of the person.

A search that finds nothing of the subject's is an answer in itself: Art
15(1) gives the right to confirmation as to whether personal data is
processed at all, and an erasure, correction, restriction or objection about
nobody we hold is answered by saying so. Without this a case whose subject
is not in any store could only be refused, which is wrong in law (a refusal
is for a request that is manifestly unfounded or excessive).

The answer needs the search done (records proposed at least once, the last
search being the date the letter gives) and no record left proposed or
confirmed as the subject's: the DPO has looked at each record found and
rejected it, and every person store searched, whatever role the request
gives. It sends the letter, tells the school's data-protection contact (the
request is the school's to answer for all its records) and moves the case to
responded, as a restriction or objection answer does.
"""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.cases import lifecycle
from app.cases.clock_inputs import clock_for
from app.cases.letters import Letter
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseStatus, Relationship, RequestType
from app.cases.services import send_letter
from app.collect import services as collect_services
from app.collect.identity import SUBJECT
from app.collect.models import CaseCandidate, Decision
from app.collect.searched import (
    GATHERED_BY_ADDRESS,
    held_under_own_email,
    last_searched_on,  # noqa: F401  (the console asks it here)
    search_of,
)
from app.erasure.services import BACKUP_DAYS
from app.extensions import db
from app.letters.services import absolute_url, render_letter
from app.sources.validation import FieldError

MAIL_CATEGORY = "case.nothing_held"
SCHOOL_MAIL_CATEGORY = "case.nothing_held_school"

# What holding nothing means for each kind of request ({whom}: who it is about).
OUTCOMES = {
    RequestType.ACCESS: "So there is no copy of personal data to send.",
    RequestType.PORTABILITY: "So there is no data to send, to you or to another organisation.",
    RequestType.ERASURE: "So there is nothing to delete.",
    RequestType.RECTIFICATION: "So there is nothing to correct.",
    RequestType.RESTRICTION: "So there is nothing to restrict.",
    RequestType.OBJECTION: "So these systems use no personal data about {whom}: there is nothing to stop.",
    RequestType.CONSENT_WITHDRAWAL: "So no consent is recorded, and there is none to withdraw.",
}


def problem(case: Case) -> str | None:
    """Why the search does not yet show that we hold nothing of the
    subject's, or None when it does."""
    search = search_of(case)
    if search.on is None:
        return "Search for the subject's records first"
    if search.missed:
        titles = ", ".join(source.title for source in search.missed)
        return f"The last search did not cover {titles}: search the records again, which covers every one"
    of_subject = (CaseCandidate.case_id == case.id, CaseCandidate.about == SUBJECT)
    decisions = set(db.session.scalars(select(CaseCandidate.decision).where(*of_subject)))
    if Decision.CONFIRMED in decisions:
        return "A record is confirmed as the subject's, so we hold data about them"
    if Decision.PROPOSED in decisions:
        return "Confirm or reject each record found for the subject first"
    held = held_under_own_email(case)
    if held:
        titles = ", ".join(source.title for source in held)
        gather = ": gather it" if case.request_type in GATHERED_BY_ADDRESS else ""
        return f"Data is held under the requester's own email address ({titles}), so we do hold some{gather}"
    return None


def whom(case: Case) -> str:
    """Who the letter speaks of, as the request named them."""
    if case.requester_relationship is Relationship.SELF or not case.subject_name:
        return "you"
    if case.requester_relationship is Relationship.PARENT_CARER:
        return f"your child {case.subject_name}"
    return case.subject_name


def letter(case: Case) -> Letter:
    search = search_of(case)
    assert search.on is not None  # ``problem`` is checked first
    return _letter(
        "nothing_held",
        {
            "requester_name": case.requester_name,
            "reference": case.reference or str(case.id),
            "organisation_name": case.organisation.name,
            "request_type": case.request_type.value,
            "whom": whom(case),
            "dob_given": case.subject_dob is not None,
            "searched": [source.title for source in search.by_details],
            "by_record": [source.title for source in search.by_record],
            "own_address": search.own_address,
            "searched_on": search.on,
            "outcome": OUTCOMES[case.request_type].format(whom=whom(case)),
            "due_on": clock_for(case).due,
            "backup_days": BACKUP_DAYS,
            "form_url": absolute_url("intake.request_form"),
        },
    )


def school_letter(case: Case) -> Letter:
    """To the school's data-protection contact: the systems it uses through
    us hold nothing about the subject, and the request (made to the school,
    the controller) still covers its other records, due the same day. No
    requester or subject details, as on the notice sent at confirmation."""
    search = search_of(case)
    assert search.on is not None  # ``problem`` is checked first
    return _letter(
        "nothing_held_school",
        {
            "contact_name": case.organisation.dp_contact_name,
            "organisation_name": case.organisation.name,
            "reference": case.reference or str(case.id),
            "request_type": case.request_type.value,
            "subject_role": case.subject_role.value,
            "searched": [source.title for source in search.by_details],
            "searched_on": search.on,
            "due_on": clock_for(case).due,
            "case_url": absolute_url("console.case", case_id=case.id),
        },
    )


def _letter(name: str, context: dict[str, object]) -> Letter:
    rendered = render_letter(name, context)
    return Letter(rendered.subject, rendered.text, rendered.html)


def answer(case: Case, actor: User) -> Case:
    """Tell the requester we hold no personal data about the subject, tell
    the school's data-protection contact to answer for its other records,
    and move the case to responded. ``IllegalTransition`` unless the case is open
    (identity settled, no gather started), ``FieldError`` on ``case`` while
    the search does not show it. The caller commits."""
    # Locked and re-read as a match or a gather does, so a record confirmed
    # or a gather started meanwhile is seen rather than overwritten.
    case = collect_services.locked(case)
    if case.status is not CaseStatus.OPEN:
        raise IllegalTransition(case, CaseStatus.RESPONDED, "only an open case is answered so")
    refused = problem(case)
    if refused is not None:
        raise FieldError("case", refused)
    sent, told = letter(case), school_letter(case)
    lifecycle.move(case, CaseStatus.RESPONDED, actor, data={"letter": MAIL_CATEGORY}, nothing_held=True)
    send_letter(case, sent, case.requester_email, MAIL_CATEGORY)
    # The request was made to the school, which answers for all its records
    # within the same month: it is told at once that ours hold nothing.
    send_letter(case, told, case.organisation.dp_contact_email, SCHOOL_MAIL_CATEGORY)
    lifecycle.audit_case("case.answered", case, actor, {"letter": MAIL_CATEGORY, "nothing_held": True})
    return case
