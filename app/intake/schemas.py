"""Validation of a new request, shared by the web form and the public API.

``RequestSubmissionSchema`` loads API-shaped input (dates as YYYY-MM-DD)
into a frozen ``RequestSubmission``. The web form's adapter
(``app.intake.forms``) turns the posted fields into this same input, so both
doors apply exactly the same rules and messages.

Messages follow the GOV.UK style and are written for a parent on a phone:
they say what to do ("Enter ..."), not what went wrong.

The organisation must be a school or nursery, not a trust: people know the
school, a pupil's or employee's records are kept per school, and a trust's
staff already see the cases of all its schools through organisation scoping.
A trust-level case would reach no school's data protection contact.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validates_schema
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.gb import upn as upn_format

from app.intake.choices import RELATIONSHIPS, REQUEST_TYPES, SUBJECT_ROLES, values
from app.mail.addresses import address_problem
from app.portability import destination
from app.sources.validation import has_control_characters

NAME_MAX = 200
EMAIL_MAX = 320
DESCRIPTION_MAX = 5000
STAFF_NUMBER_MAX = 40
OLDEST_AGE_YEARS = 120
UPN_EXAMPLE = "B801200005001"  # passes stdnum.gb.upn: a real check letter

MESSAGES = {
    "request_type": "Select what you are asking for",
    "requester_relationship": "Select who the information is about",
    "requester_name": "Enter your full name",
    "requester_email": "Enter your email address",
    "requester_email_format": "Enter your email address in the correct format, like name@example.com",
    "requester_phone_format": "Enter a telephone number, like 01632 960 001 or 07700 900 982",
    "subject_first_name": "Enter their first name",
    "subject_last_name": "Enter their last name",
    "subject_date_of_birth": "Enter their date of birth",
    "subject_date_of_birth_real": "Date of birth must be a real date",
    "subject_date_of_birth_past": "Date of birth must be in the past",
    "subject_role": "Select how they are connected to the school",
    "subject_upn_format": f"Enter a unique pupil number in the correct format, like {UPN_EXAMPLE}",
    "subject_upn_role": "Only enter a unique pupil number if the information is about a pupil",
    "subject_staff_number_role": "Only enter a staff number if the information is about a member of staff",
    "organisation_id": "Select the school or nursery",
    "organisation_unknown": "Select a school or nursery from the list",
    "description": "Enter what you are asking for",
    "description_long": f"What you are asking for must be {DESCRIPTION_MAX:,} characters or less",
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE_ALLOWED = re.compile(r"^\+?[0-9 ()-]+$")


@dataclass(frozen=True)
class RequestSubmission:
    request_type: str
    requester_relationship: str
    requester_name: str
    requester_email: str
    requester_phone: str | None
    subject_first_name: str
    subject_last_name: str
    subject_date_of_birth: date
    subject_role: str
    subject_upn: str | None
    subject_staff_number: str | None
    organisation_id: uuid.UUID
    description: str
    # Portability only: where the requester wants the data sent (Art 20(2)).
    destination_name: str | None = None
    destination_email: str | None = None

    @property
    def subject_name(self) -> str:
        return f"{self.subject_first_name} {self.subject_last_name}"

    @property
    def acting_for_someone_else(self) -> bool:
        return self.requester_relationship != "self"


class Text(fields.String):
    """Text typed by a person: surrounding spaces dropped, control characters
    (other than new lines and tabs in long text) refused, and blank treated
    as not given, so "   " gets the same message as an empty field."""

    def __init__(self, *, max_length: int, too_long: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length
        self.too_long = too_long

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            if self.required:
                raise self.make_error("required")
            return None
        if has_control_characters(text):
            raise ValidationError("Remove any special characters")
        if len(text) > self.max_length:
            raise ValidationError(self.too_long or f"Must be {self.max_length:,} characters or less")
        return text


def _text(
    required: str | None, max_length: int, too_long: str | None = None, description: str | None = None
) -> Text:
    messages = {"required": required or "", "null": required or "", "invalid": required or ""}
    metadata = {"description": description} if description else {}
    if required:
        return Text(
            required=True,
            max_length=max_length,
            too_long=too_long,
            error_messages=messages,
            metadata=metadata,
        )
    return Text(
        required=False,
        allow_none=True,
        load_default=None,
        max_length=max_length,
        too_long=too_long,
        error_messages={"invalid": "Enter text"},
        metadata=metadata,
    )


def _choice(message: str, allowed: tuple[str, ...]) -> fields.String:
    return fields.String(
        required=True,
        validate=lambda value: value in allowed or _fail(message),
        error_messages={"required": message, "null": message, "invalid": message},
        metadata={"enum": list(allowed)},
    )


def _fail(message: str) -> bool:
    raise ValidationError(message)


def default_school_lookup(organisation_id: uuid.UUID) -> bool:
    from app.intake.schools import find_school

    return find_school(organisation_id) is not None


class RequestSubmissionSchema(Schema):
    class Meta:
        unknown = RAISE

    request_type = _choice(MESSAGES["request_type"], values(REQUEST_TYPES))
    requester_relationship = _choice(MESSAGES["requester_relationship"], values(RELATIONSHIPS))
    requester_name = _text(MESSAGES["requester_name"], NAME_MAX, "Your name must be 200 characters or less")
    requester_email = _text(MESSAGES["requester_email"], EMAIL_MAX, MESSAGES["requester_email_format"])
    requester_phone = _text(None, 30, MESSAGES["requester_phone_format"])
    subject_first_name = _text(
        MESSAGES["subject_first_name"], NAME_MAX, "First name must be 200 characters or less"
    )
    subject_last_name = _text(
        MESSAGES["subject_last_name"], NAME_MAX, "Last name must be 200 characters or less"
    )
    subject_date_of_birth = fields.Date(
        required=True,
        format="%Y-%m-%d",
        error_messages={
            "required": MESSAGES["subject_date_of_birth"],
            "null": MESSAGES["subject_date_of_birth"],
            "invalid": MESSAGES["subject_date_of_birth_real"],
        },
        metadata={"description": "YYYY-MM-DD"},
    )
    subject_role = _choice(MESSAGES["subject_role"], values(SUBJECT_ROLES))
    subject_upn = _text(None, 20, MESSAGES["subject_upn_format"])
    subject_staff_number = _text(None, STAFF_NUMBER_MAX, "Staff number must be 40 characters or less")
    organisation_id = fields.UUID(
        required=True,
        error_messages={
            "required": MESSAGES["organisation_id"],
            "null": MESSAGES["organisation_id"],
            "invalid_uuid": MESSAGES["organisation_unknown"],
            "invalid": MESSAGES["organisation_unknown"],
        },
    )
    description = _text(MESSAGES["description"], DESCRIPTION_MAX, MESSAGES["description_long"])
    destination_name = _text(
        None,
        destination.NAME_MAX,
        destination.MESSAGES["destination_name_long"],
        "`portability` only, with `destination_email`: the organisation the requester wants the data "
        "sent to (UK GDPR Art 20(2)). Leave both out and the data goes to the requester. Given for "
        "another request type, or without `destination_email`, it is refused (422).",
    )
    destination_email = _text(
        None,
        EMAIL_MAX,
        destination.MESSAGES["destination_email_format"],
        "`portability` only, with `destination_name`: the organisation's email address, checked as "
        "`requester_email` is. Staff send it a download link; its code goes to the requester to pass on.",
    )

    def __init__(
        self,
        *,
        today: date | None = None,
        school_exists: Callable[[uuid.UUID], bool] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.today = today
        self.school_exists = school_exists or default_school_lookup

    # One validator for the per-field rules that need other fields or the
    # database: every message lands on its own field, all reported at once.
    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _rules(self, data: dict[str, Any], original: Any, **_kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}

        for name, format_message in _EMAIL_FIELDS:
            email = data.get(name)
            if email is not None and (problem := email_problem(email, format_message)):
                errors[name] = [problem]
        for name, message in destination.destination_problems(
            data.get("request_type"),
            _given(data, original, destination.NAME),
            _given(data, original, destination.EMAIL),
        ).items():
            errors[name] = [message]  # over a format error: the field is not to be filled in at all

        phone = data.get("requester_phone")
        if phone is not None:
            digits = re.sub(r"\D", "", phone)
            if not _PHONE_ALLOWED.match(phone) or not 7 <= len(digits) <= 15:
                errors["requester_phone"] = [MESSAGES["requester_phone_format"]]

        born = data.get("subject_date_of_birth")
        if born is not None:
            message = check_date_of_birth(born, self.today or date.today())
            if message:
                errors["subject_date_of_birth"] = [message]

        role = data.get("subject_role")
        upn = data.get("subject_upn")
        if upn is not None:
            if role is not None and role != "pupil":
                errors["subject_upn"] = [MESSAGES["subject_upn_role"]]
            elif not _valid_upn(upn):
                errors["subject_upn"] = [MESSAGES["subject_upn_format"]]
        if data.get("subject_staff_number") is not None and role in ("pupil", "parent"):
            errors["subject_staff_number"] = [MESSAGES["subject_staff_number_role"]]

        organisation_id = data.get("organisation_id")
        if organisation_id is not None and not self.school_exists(organisation_id):
            errors["organisation_id"] = [MESSAGES["organisation_unknown"]]

        if errors:
            raise ValidationError(errors)

    @post_load
    def _make(self, data: dict[str, Any], **_kwargs: Any) -> RequestSubmission:
        upn = data.get("subject_upn")
        return RequestSubmission(
            request_type=data["request_type"],
            requester_relationship=data["requester_relationship"],
            requester_name=data["requester_name"],
            requester_email=data["requester_email"],
            requester_phone=data.get("requester_phone"),
            subject_first_name=data["subject_first_name"],
            subject_last_name=data["subject_last_name"],
            subject_date_of_birth=data["subject_date_of_birth"],
            subject_role=data["subject_role"],
            subject_upn=upn_format.compact(upn) if upn else None,
            subject_staff_number=data.get("subject_staff_number"),
            organisation_id=data["organisation_id"],
            description=data["description"],
            destination_name=data.get(destination.NAME),
            destination_email=data.get(destination.EMAIL),
        )


# Every email field and its message for an address not in the form name@example.com.
_EMAIL_FIELDS = (
    ("requester_email", MESSAGES["requester_email_format"]),
    (destination.EMAIL, destination.MESSAGES["destination_email_format"]),
)


def _given(data: dict[str, Any], original: Any, name: str) -> str | None:
    """The field's value, or what was typed when it failed its own check (a
    name too long is not a name missing: its own message is enough)."""
    if data.get(name) is not None:
        return data[name]
    typed = original.get(name) if isinstance(original, dict) else None
    if typed is None:
        return None
    return (typed if isinstance(typed, str) else str(typed)).strip() or None


def email_problem(email: str, format_message: str) -> str | None:
    """What is wrong with a typed email address, or None: ``format_message``
    when it is not like name@example.com, else why mail cannot go to it."""
    if not _EMAIL.match(email):
        return format_message
    return address_problem(email)


def _valid_upn(value: str) -> bool:
    try:
        upn_format.validate(value)
    except StdnumError:
        return False
    return True


def check_date_of_birth(born: date, today: date) -> str | None:
    """The message for an implausible date of birth, or None."""
    if born >= today:
        return MESSAGES["subject_date_of_birth_past"]
    try:
        oldest = today.replace(year=today.year - OLDEST_AGE_YEARS)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - OLDEST_AGE_YEARS, day=28)
    if born < oldest:
        return f"Date of birth must be after {oldest.day} {oldest:%B %Y}"
    return None
