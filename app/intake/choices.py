"""The choices a requester makes, with the words people see for each.

Values match ``app.cases.models`` enums (``RequestType``, ``Relationship``,
``SubjectRole``); the labels are for the form, the letters and the API's
documentation. Order is the order shown on the form.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    hint: str | None = None


REQUEST_TYPES: tuple[Choice, ...] = (
    Choice("access", "A copy of the information held", "This is called a subject access request"),
    Choice("rectification", "Correct information that is wrong or incomplete"),
    Choice("erasure", "Delete information"),
    Choice("restriction", "Limit how the information is used", "For example, while a mistake is checked"),
    Choice("objection", "Object to the information being used"),
    Choice("portability", "A copy in a format a computer can read, to take elsewhere"),
    Choice("consent_withdrawal", "Withdraw consent given earlier", "For example, for photographs"),
)

RELATIONSHIPS: tuple[Choice, ...] = (
    Choice("self", "The information is about me"),
    Choice("parent_carer", "I am a parent or carer asking for my child"),
    Choice(
        "authorised_third_party",
        "I am asking for someone else, with their written permission",
        "For example, a solicitor or advocate. We will ask to see the permission",
    ),
)

SUBJECT_ROLES: tuple[Choice, ...] = (
    Choice("pupil", "A pupil or former pupil"),
    Choice("parent", "A parent or carer of a pupil"),
    Choice("staff", "A member of staff"),
    Choice("former_staff", "A former member of staff"),
)

# How a request type reads inside a sentence ("your request for ...").
REQUEST_TYPE_PHRASES: dict[str, str] = {
    "access": "a copy of personal information (a subject access request)",
    "rectification": "personal information to be corrected",
    "erasure": "personal information to be deleted",
    "restriction": "the use of personal information to be limited",
    "objection": "personal information not to be used (an objection)",
    "portability": "a copy of personal information in a format a computer can read",
    "consent_withdrawal": "consent to be withdrawn",
}

SUBJECT_ROLE_PHRASES: dict[str, str] = {
    "pupil": "a pupil or former pupil",
    "parent": "a parent or carer",
    "staff": "a member of staff",
    "former_staff": "a former member of staff",
}


def values(choices: tuple[Choice, ...]) -> tuple[str, ...]:
    return tuple(choice.value for choice in choices)
