"""Field checks shared by the stores, the seeder and imports.

Each failure names the field so a person fixing an import file knows where
to look.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TypeVar

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.gb import upn as upn_format

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
_TRN = re.compile(r"^[0-9]{7}$")
# Control characters other than tab and line breaks: never in text a person
# means to write, and NUL cannot be stored by PostgreSQL at all.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

T = TypeVar("T")


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    @property
    def errors(self) -> dict[str, list[str]]:
        """Every message by field name (here the one), for a caller that
        shows all of a form's problems at once."""
        return {self.field: [self.message]}


class FieldErrors(FieldError):
    """Several fields' problems found together, so a person fixes them in
    one go. ``field`` and ``message`` are the first, for a caller that shows
    one; ``errors`` holds them all, in the order they were found."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        found = {field: list(messages) for field, messages in errors.items() if messages}
        if not found:
            raise ValueError("FieldErrors needs at least one message")
        field, messages = next(iter(found.items()))
        super().__init__(field, messages[0])
        self.args = ("; ".join(f"{name}: {text}" for name, texts in found.items() for text in texts),)
        self._errors = found

    @property
    def errors(self) -> dict[str, list[str]]:
        return {field: list(messages) for field, messages in self._errors.items()}


class FieldProblems:
    """Collects the problems of several fields, to raise them together
    (``FieldErrors``) instead of one at a time."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def check(self, checked: Callable[[], T]) -> T | None:
        """``checked()``, or None with its ``FieldError`` noted."""
        try:
            return checked()
        except FieldError as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    self.add(field, message)
            return None

    def raise_any(self) -> None:
        if self.errors:
            raise FieldErrors(self.errors)


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def check_upn(value: str, field: str = "upn") -> str:
    try:
        return upn_format.validate(value)
    except StdnumError as exc:
        raise FieldError(field, f"{value!r} is not a valid UPN ({exc.message})") from None


def check_email(value: str, field: str = "email") -> str:
    value = value.strip()
    if len(value) > 320 or not _EMAIL.match(value):
        raise FieldError(field, f"{value!r} is not an email address")
    return value


def check_postcode(value: str, field: str = "postcode") -> str:
    value = value.strip().upper()
    if not _POSTCODE.match(value):
        raise FieldError(field, f"{value!r} is not a UK postcode")
    return value


def check_trn(value: str, field: str = "teacher_reference_number") -> str:
    value = value.strip()
    if not _TRN.match(value):
        raise FieldError(field, f"{value!r} is not a seven-digit teacher reference number")
    return value


def check_date(value: str | date, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise FieldError(field, f"{value!r} is not a date (YYYY-MM-DD)") from None


def check_date_order(earlier: date | None, later: date | None, field: str) -> None:
    if earlier and later and later < earlier:
        raise FieldError(field, f"{later.isoformat()} is before {earlier.isoformat()}")
