"""Checks for pupil, contact and staff rows before they are stored.

Used on rows imported from a school's files and, on a sample, on the rows the
demo generator makes, so both meet the same rules. Each failure is a
``FieldError`` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from app.demo.calendar import YEAR_GROUPS
from app.demo.data_people import ETHNICITIES
from app.sources.validation import (
    FieldError,
    check_date,
    check_date_order,
    check_email,
    check_postcode,
    check_trn,
    check_upn,
)

ETHNICITY_CODES = frozenset(code for code, *_ in ETHNICITIES)
_LANGUAGE = re.compile(r"^[A-Z]{3,4}$")
GENDERS = ("M", "F", "U")


def _text(row: Mapping[str, Any], field: str, required: bool = True) -> str | None:
    value = row.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FieldError(field, "is required")
        return None
    if not isinstance(value, str):
        raise FieldError(field, f"{value!r} is not text")
    return value.strip()


def _date(row: Mapping[str, Any], field: str, required: bool = True) -> date | None:
    value = row.get(field)
    if value is None or value == "":
        if required:
            raise FieldError(field, "is required")
        return None
    return check_date(value, field)


def check_pupil_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A pupil with their enrolment, normalised; raises ``FieldError``."""
    clean: dict[str, Any] = {
        "upn": check_upn(_text(row, "upn") or "", "upn"),
        "former_upn": None,
        "legal_forename": _text(row, "legal_forename"),
        "legal_surname": _text(row, "legal_surname"),
        "preferred_forename": _text(row, "preferred_forename", required=False),
        "preferred_surname": _text(row, "preferred_surname", required=False),
        "date_of_birth": _date(row, "date_of_birth"),
    }
    former = _text(row, "former_upn", required=False)
    if former:
        clean["former_upn"] = check_upn(former, "former_upn")
        if clean["former_upn"] == clean["upn"]:
            raise FieldError("former_upn", "is the same as the current UPN")
    gender = _text(row, "gender")
    if gender not in GENDERS:
        raise FieldError("gender", f"{gender!r} is not one of M, F, U")
    clean["gender"] = gender
    postcode = _text(row, "postcode", required=False)
    clean["postcode"] = check_postcode(postcode, "postcode") if postcode else None
    ethnicity = _text(row, "ethnicity", required=False)
    if ethnicity and ethnicity not in ETHNICITY_CODES:
        raise FieldError("ethnicity", f"{ethnicity!r} is not a DfE ethnicity code")
    clean["ethnicity"] = ethnicity
    language = _text(row, "first_language", required=False)
    if language and not _LANGUAGE.match(language):
        raise FieldError("first_language", f"{language!r} is not a DfE language code")
    clean["first_language"] = language
    if "on_roll_date" in row:
        clean["on_roll_date"] = _date(row, "on_roll_date")
        clean["leaving_date"] = _date(row, "leaving_date", required=False)
        check_date_order(clean["on_roll_date"], clean["leaving_date"], "leaving_date")
        check_date_order(clean["date_of_birth"], clean["on_roll_date"], "on_roll_date")
    if "year_group" in row:
        group = _text(row, "year_group")
        if group not in YEAR_GROUPS:
            raise FieldError("year_group", f"{group!r} is not a national curriculum year")
        clean["year_group"] = group
    return clean


def check_contact_row(row: Mapping[str, Any]) -> dict[str, Any]:
    email = _text(row, "email", required=False)
    postcode = _text(row, "postcode", required=False)
    return {
        "forename": _text(row, "forename"),
        "surname": _text(row, "surname"),
        "email": check_email(email, "email") if email else None,
        "postcode": check_postcode(postcode, "postcode") if postcode else None,
    }


def check_employee_row(row: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {
        "staff_number": _text(row, "staff_number"),
        "forename": _text(row, "forename"),
        "surname": _text(row, "surname"),
        "start_date": _date(row, "start_date"),
        "leave_date": _date(row, "leave_date", required=False),
    }
    check_date_order(clean["start_date"], clean["leave_date"], "leave_date")
    for field in ("work_email", "personal_email"):
        value = _text(row, field, required=False)
        clean[field] = check_email(value, field) if value else None
    trn = _text(row, "teacher_reference_number", required=False)
    clean["teacher_reference_number"] = check_trn(trn) if trn else None
    return clean


CHECKS = {"pupil": check_pupil_row, "contact": check_contact_row, "employee": check_employee_row}


def check_row(kind: str, row: Mapping[str, Any]) -> None:
    CHECKS[kind](row)
