"""The web form's adapter: posted fields in, schema input out, and the
schema's messages back onto the ids of the fields on the page.

The form differs from the API in three ways only: the date of birth comes as
day, month and year boxes (the GOV.UK date input); the school is found by
typing its name (no JavaScript needed); and a honeypot field catches bots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from marshmallow import ValidationError

from app.intake.schemas import MESSAGES, RequestSubmission, RequestSubmissionSchema
from app.intake.schools import SchoolChoice, find_school, normalise_query, search_schools

DOB = "subject_date_of_birth"
DOB_PARTS = ("day", "month", "year")
SCHOOL_QUERY = "school_query"
HONEYPOT = "website"  # a name bots like to fill; people never see the field

# Plain text fields, as named in both the form and the schema.
TEXT_FIELDS = (
    "requester_name",
    "requester_email",
    "requester_phone",
    "subject_first_name",
    "subject_last_name",
    "subject_upn",
    "subject_staff_number",
    "description",
    "destination_name",
    "destination_email",
)
CHOICE_FIELDS = ("request_type", "requester_relationship", "subject_role")

# Order of the fields on the page: the error summary lists them this way.
PAGE_ORDER = (
    "request_type",
    "requester_relationship",
    "organisation_id",
    "subject_first_name",
    "subject_last_name",
    DOB,
    "subject_role",
    "subject_upn",
    "subject_staff_number",
    "description",
    "destination_name",
    "destination_email",
    "requester_name",
    "requester_email",
    "requester_phone",
)

NO_SCHOOL_QUERY = "Enter the name of the school or nursery"
CHOOSE_SCHOOL = "Select the school or nursery from the list"


def no_school_found(query: str) -> str:
    return f"No school or nursery called '{query}' was found. Check the spelling, or try fewer words"


@dataclass
class FormResult:
    submission: RequestSubmission | None = None
    # (field id on the page, message), in page order, for the error summary.
    errors: list[tuple[str, str]] = field(default_factory=list)
    # What was typed, to put back in the fields.
    values: dict[str, str] = field(default_factory=dict)
    school: SchoolChoice | None = None
    school_matches: list[SchoolChoice] = field(default_factory=list)
    is_spam: bool = False


def typed_values(form: Mapping[str, str]) -> dict[str, str]:
    dob = [f"{DOB}-{part}" for part in DOB_PARTS]
    names = (*TEXT_FIELDS, *CHOICE_FIELDS, SCHOOL_QUERY, "organisation_id", *dob)
    return {name: str(form.get(name) or "") for name in names}


def parse_date_parts(day: str, month: str, year: str) -> tuple[date | None, str | None, str | None]:
    """GOV.UK date input rules: (date, message, id of the part to link to)."""
    parts = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    missing = [name for name in DOB_PARTS if not parts[name]]
    if len(missing) == 3:
        return None, MESSAGES[DOB], f"{DOB}-day"
    if missing:
        return None, f"Date of birth must include a {' and '.join(missing)}", f"{DOB}-{missing[0]}"
    for name in DOB_PARTS:
        if not parts[name].isascii() or not parts[name].isdigit():
            return None, MESSAGES["subject_date_of_birth_real"], f"{DOB}-{name}"
    if len(parts["year"]) != 4:
        return None, "Year must include 4 numbers", f"{DOB}-year"
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"])), None, None
    except ValueError:
        return None, MESSAGES["subject_date_of_birth_real"], f"{DOB}-day"


def _resolve_school(form: Mapping[str, str], result: FormResult) -> tuple[str | None, str | None]:
    """The chosen school's id, or the message and field id that explain why
    there is none. Sets ``result.school`` / ``result.school_matches``."""
    chosen = find_school(form.get("organisation_id") or None)
    if chosen is not None:
        result.school = chosen
        return str(chosen.id), None
    query = normalise_query(form.get(SCHOOL_QUERY))
    if not query:
        return None, NO_SCHOOL_QUERY
    matches = search_schools(query)
    if len(matches) == 1:
        result.school = matches[0]
        return str(matches[0].id), None
    if not matches:
        return None, no_school_found(query)
    result.school_matches = matches
    return None, CHOOSE_SCHOOL


def parse_request_form(
    form: Mapping[str, str], *, today: date | None = None, schema: RequestSubmissionSchema | None = None
) -> FormResult:
    result = FormResult(values=typed_values(form))
    if (form.get(HONEYPOT) or "").strip():
        result.is_spam = True
        return result

    data: dict[str, object] = {name: form.get(name) or "" for name in TEXT_FIELDS}
    for name in CHOICE_FIELDS:
        if form.get(name):
            data[name] = form[name]
    errors: dict[str, tuple[str, str]] = {}  # schema field -> (field id, message)

    born, message, target = parse_date_parts(*(form.get(f"{DOB}-{part}") or "" for part in DOB_PARTS))
    if born is not None:
        data[DOB] = born.isoformat()
    elif message and target:
        errors[DOB] = (target, message)

    school_id, school_message = _resolve_school(form, result)
    if school_id is not None:
        data["organisation_id"] = school_id
    elif school_message:
        target = "organisation_id" if result.school_matches else SCHOOL_QUERY
        errors["organisation_id"] = (target, school_message)

    schema = schema or (RequestSubmissionSchema(today=today) if today else _default_schema())
    try:
        result.submission = schema.load(data)
    except ValidationError as exc:
        for name, messages in _first_messages(exc.messages).items():
            errors.setdefault(name, (_field_id(name, result), messages))
    if errors:
        result.submission = None
        result.errors = [errors[name] for name in PAGE_ORDER if name in errors]
    return result


@cache
def _default_schema() -> RequestSubmissionSchema:
    """One schema for every request: building a marshmallow schema copies all
    its fields, and this one keeps no state between loads (``today`` unset
    means the day of each load)."""
    return RequestSubmissionSchema()


def _first_messages(messages: object) -> dict[str, str]:
    flat: dict[str, str] = {}
    if isinstance(messages, Mapping):
        for name, value in messages.items():
            while isinstance(value, list | tuple) and value:
                value = value[0]
            flat[str(name)] = str(value)
    return flat


def _field_id(name: str, result: FormResult) -> str:
    """The id of the element an error links to: the first radio of a group,
    the day box of a date, the search box of an unchosen school."""
    if name == DOB:
        return f"{DOB}-day"
    if name == "organisation_id":
        return "organisation_id" if result.school_matches else SCHOOL_QUERY
    return name


def school_from_query(value: str | None) -> SchoolChoice | None:
    """A school pre-chosen through ``/request?organisation_id=...``; None for
    anything else (malformed, unknown, a trust)."""
    return find_school(value or None)
