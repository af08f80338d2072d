"""The fields a rectification may change, store by store, each with its
label and its check.

Checks are the stores' own (``app.sources.validation``) and the request
form's (``app.intake.schemas``): a value the store would refuse on import is
refused here with the same message, prefixed with the field's label.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from app.db import utcnow
from app.intake.schemas import _PHONE_ALLOWED, MESSAGES, check_date_of_birth
from app.sources.contacts.models import Contact
from app.sources.employees.models import Employee
from app.sources.names import name_key
from app.sources.protocol import PersonKind
from app.sources.pupils.models import Pupil
from app.sources.validation import (
    FieldError,
    check_date,
    check_email,
    check_postcode,
    check_upn,
    has_control_characters,
)

STORES: dict[PersonKind, type] = {
    PersonKind.PUPIL: Pupil,
    PersonKind.CONTACT: Contact,
    PersonKind.EMPLOYEE: Employee,
}
KIND_LABELS: dict[PersonKind, str] = {
    PersonKind.PUPIL: "pupil record",
    PersonKind.CONTACT: "contact record",
    PersonKind.EMPLOYEE: "staff record",
}
# Name columns whose normalised key the matching indexes read.
_KEYS = {
    "legal_surname": "surname_key",
    "legal_forename": "forename_key",
    "surname": "surname_key",
    "forename": "forename_key",
}


def _text(value: str, field: str) -> str:
    if has_control_characters(value):
        raise FieldError(field, "must not contain control characters")
    return value


def _phone(value: str, field: str) -> str:
    digits = re.sub(r"\D", "", value)
    if not _PHONE_ALLOWED.match(value) or not 7 <= len(digits) <= 15:
        raise FieldError(field, MESSAGES["requester_phone_format"])
    return value


def _date_of_birth(value: str, field: str) -> date:
    born = check_date(value, field)
    message = check_date_of_birth(born, utcnow().date())
    if message:
        raise FieldError(field, message)
    return born


@dataclass(frozen=True)
class RectifiableField:
    name: str  # the store's column
    label: str
    max_length: int | None
    required: bool  # the column is NOT NULL: the value cannot be cleared
    check: Callable[[str, str], str | date] = _text

    def parse(self, raw: str | None) -> str | date | None:
        """The value to store, or ``FieldError`` (field ``value``) with the
        check's message, prefixed with this field's label."""
        text = (raw or "").strip()
        if not text:
            if self.required:
                raise FieldError("value", f"{self.label}: enter a value; it cannot be left blank")
            return None
        if has_control_characters(text):
            raise FieldError("value", f"{self.label}: must not contain control characters")
        if self.max_length is not None and len(text) > self.max_length:
            raise FieldError("value", f"{self.label}: must be {self.max_length} characters or less")
        try:
            return self.check(text, self.name)
        except FieldError as exc:
            # The request form's messages already name the field.
            named = exc.message.startswith(self.label)
            raise FieldError("value", exc.message if named else f"{self.label}: {exc.message}") from None


def _f(
    name: str,
    label: str,
    max_length: int | None,
    required: bool = False,
    check: Callable[[str, str], str | date] = _text,
) -> RectifiableField:
    return RectifiableField(name, label, max_length, required, check)


_ADDRESS = (
    _f("address_line1", "Address line 1", 200),
    _f("address_line2", "Address line 2", 200),
    _f("town", "Town", 100),
    _f("postcode", "Postcode", 10, check=check_postcode),
)

FIELDS: dict[PersonKind, dict[str, RectifiableField]] = {
    PersonKind.PUPIL: {
        f.name: f
        for f in (
            _f("legal_forename", "Legal first name", 100, True),
            _f("middle_names", "Middle names", 200),
            _f("legal_surname", "Legal last name", 100, True),
            _f("preferred_forename", "Preferred first name", 100),
            _f("preferred_surname", "Preferred last name", 100),
            _f("date_of_birth", "Date of birth", None, True, _date_of_birth),
            _f("upn", "Unique pupil number (UPN)", 13, True, check_upn),
            *_ADDRESS,
        )
    },
    PersonKind.CONTACT: {
        f.name: f
        for f in (
            _f("title", "Title", 20),
            _f("forename", "First name", 100, True),
            _f("surname", "Last name", 100, True),
            _f("email", "Email address", 320, check=check_email),
            _f("mobile_phone", "Mobile phone", 40, check=_phone),
            _f("home_phone", "Home phone", 40, check=_phone),
            *_ADDRESS,
        )
    },
    PersonKind.EMPLOYEE: {
        f.name: f
        for f in (
            _f("title", "Title", 20),
            _f("forename", "First name", 100, True),
            _f("surname", "Last name", 100, True),
            _f("preferred_name", "Preferred name", 100),
            _f("date_of_birth", "Date of birth", None, check=_date_of_birth),
            _f("work_email", "Work email address", 320, check=check_email),
            _f("personal_email", "Personal email address", 320, check=check_email),
            _f("phone", "Phone", 40, check=_phone),
        )
    },
}


def field_for(kind: PersonKind | str, name: str) -> RectifiableField:
    """The rectifiable field, or ``FieldError`` on ``field``."""
    try:
        return FIELDS[PersonKind(kind)][name]
    except (ValueError, KeyError):
        raise FieldError("field", "Choose a field that can be corrected") from None


def as_text(value: str | date | None) -> str | None:
    """A stored value as proposals keep it: dates in ISO form."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def read(record: object, field: RectifiableField) -> str | None:
    return as_text(getattr(record, field.name))


def write(record: object, field: RectifiableField, value: str | date | None) -> None:
    setattr(record, field.name, value)
    key = _KEYS.get(field.name)
    if key is not None and isinstance(value, str):
        # The matching indexes read the key: a corrected name must be found.
        setattr(record, key, name_key(value))
