"""The letters a case sends, as plain text for now: one small function per
letter, each returning ``Letter(subject, body)``. The Jinja templates in
``sar_templates/`` can replace a body here without touching the services.

Subjects carry the reference only, never personal details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.cases.models import Case

ICO_COMPLAINT = (
    "If you are unhappy with this decision you have the right to complain to the Information "
    "Commissioner's Office (ICO), https://ico.org.uk/make-a-complaint/ or 0303 123 1113, and the "
    "right to seek to enforce your rights through the courts."
)

_TYPES = {
    "access": "a copy of personal data (subject access request)",
    "erasure": "erasure of personal data",
    "rectification": "correction of personal data",
    "restriction": "restriction of processing",
    "objection": "an objection to processing",
    "portability": "a portable copy of personal data",
    "consent_withdrawal": "withdrawal of consent",
}


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


def _day(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else "to be confirmed"


def _what(case: Case) -> str:
    return _TYPES.get(case.request_type.value, case.request_type.value)


def acknowledgement(case: Case, due: date | None) -> Letter:
    needs_authority = case.requester_relationship.value != "self"
    return Letter(
        f"We have received your request {case.reference}",
        f"Dear {case.requester_name},\n\n"
        f"Thank you. We have received your request for {_what(case)} on behalf of "
        f"{case.organisation.name}. Your reference is {case.reference}.\n\n"
        "Before we can go further we need to be sure who you are"
        + (" and that you may act for the person the request is about" if needs_authority else "")
        + ". The school may already know you; if not, we will ask you for evidence.\n\n"
        f"We will respond by {_day(due)} at the latest. The time limit starts once we have what we "
        "need to confirm your identity.\n",
    )


def school_notification(case: Case) -> Letter:
    return Letter(
        f"New rights request {case.reference}",
        f"Dear {case.organisation.dp_contact_name},\n\n"
        f"A request for {_what(case)} about a {case.subject_role.value.replace('_', ' ')} of "
        f"{case.organisation.name} was confirmed by the requester and has reference {case.reference}. "
        "As the controller you are told at once; the details are in the Rights Desk console.\n",
    )


def clarification_request(case: Case, question: str) -> Letter:
    return Letter(
        f"A question about your request {case.reference}",
        f"Dear {case.requester_name},\n\n"
        "To find the information you asked for we need to ask you:\n\n"
        f"{question}\n\n"
        "The time limit for our response is paused from today until we receive your answer.\n",
    )


def extension_notice(case: Case, reason: str, due: date | None) -> Letter:
    return Letter(
        f"More time needed for your request {case.reference}",
        f"Dear {case.requester_name},\n\n"
        "The law allows up to two further months for a request that is complex or one of several "
        "from the same person. We need that extra time, for this reason:\n\n"
        f"{reason}\n\n"
        f"We will now respond by {_day(due)}.\n\n{ICO_COMPLAINT}\n",
    )


def refusal(case: Case, reason_text: str, detail: str) -> Letter:
    return Letter(
        f"Your request {case.reference}",
        f"Dear {case.requester_name},\n\n"
        f"We cannot act on your request: {reason_text}.\n\n{detail}\n\n{ICO_COMPLAINT}\n",
    )


def reminder(case: Case, threshold: str, target: date) -> Letter:
    when = "is overdue" if threshold == "overdue" else f"is due in {threshold} working day(s)"
    return Letter(
        f"Reminder: case {case.reference} {when}",
        f"Case {case.reference} ({case.organisation.name}) {when}: respond by {_day(target)}.\n"
        "Open it in the Rights Desk console.\n",
    )
