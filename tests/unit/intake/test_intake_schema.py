"""The request schema (API-shaped input) and the web form's adapter."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from marshmallow import ValidationError

from app.intake.forms import parse_date_parts, parse_request_form
from app.intake.schemas import MESSAGES, RequestSubmission, RequestSubmissionSchema, check_date_of_birth
from tests.signin import make_organisation

TODAY = date(2026, 3, 2)
SCHOOL_ID = uuid.UUID("01890000-0000-7000-8000-000000000001")


def schema() -> RequestSubmissionSchema:
    return RequestSubmissionSchema(today=TODAY, school_exists=lambda key: key == SCHOOL_ID)


def good(**changes) -> dict[str, object]:
    data: dict[str, object] = {
        "request_type": "access",
        "requester_relationship": "self",
        "requester_name": "Jo Teacher",
        "requester_email": "jo@example.com",
        "subject_first_name": "Jo",
        "subject_last_name": "Teacher",
        "subject_date_of_birth": "1985-06-30",
        "subject_role": "former_staff",
        "organisation_id": str(SCHOOL_ID),
        "description": "A copy of my personnel file and any emails about me.",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def errors_of(data: dict[str, object]) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        schema().load(data)
    return raised.value.messages


def test_schema_loads_good_input_into_a_frozen_submission():
    submission = schema().load(good(requester_phone=" 07700 900 982 ", subject_staff_number="P-1234"))
    assert isinstance(submission, RequestSubmission)
    assert submission.subject_date_of_birth == date(1985, 6, 30)
    assert submission.organisation_id == SCHOOL_ID and submission.subject_name == "Jo Teacher"
    assert submission.requester_phone == "07700 900 982" and submission.subject_upn is None
    assert not submission.acting_for_someone_else
    with pytest.raises(AttributeError):
        submission.requester_name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "field",
    [
        "request_type",
        "requester_relationship",
        "requester_name",
        "requester_email",
        "subject_first_name",
        "subject_last_name",
        "subject_date_of_birth",
        "subject_role",
        "organisation_id",
        "description",
    ],
)
def test_schema_requires_field_with_a_plain_message(field):
    messages = errors_of(good(**{field: None}))
    assert messages[field] == [MESSAGES[field]]
    assert messages[field][0].startswith(("Enter", "Select"))


@pytest.mark.parametrize("field", ["requester_name", "subject_first_name", "description", "requester_email"])
def test_schema_treats_blank_text_as_missing(field):
    assert errors_of(good(**{field: "   "}))[field] == [MESSAGES[field]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("request_type", "complaint"),
        ("requester_relationship", "neighbour"),
        ("subject_role", "governor"),
    ],
)
def test_schema_refuses_unknown_choices(field, value):
    assert errors_of(good(**{field: value}))[field] == [MESSAGES[field]]


@pytest.mark.parametrize(
    "value",
    ["access", "erasure", "rectification", "restriction", "objection", "portability", "consent_withdrawal"],
)
def test_schema_accepts_every_request_type(value):
    assert schema().load(good(request_type=value)).request_type == value


@pytest.mark.parametrize(
    "email", ["sam.example.com", "sam@", "sam@example", "sam @example.com", "@example.com"]
)
def test_schema_refuses_malformed_email(email):
    assert errors_of(good(requester_email=email))["requester_email"] == [MESSAGES["requester_email_format"]]


@pytest.mark.parametrize("phone", ["12", "call me", "0770090098212345678", "+44 (0) 7700-900982x"])
def test_schema_refuses_malformed_phone(phone):
    assert errors_of(good(requester_phone=phone))["requester_phone"] == [MESSAGES["requester_phone_format"]]


def test_schema_refuses_text_that_is_too_long_or_has_control_characters():
    assert errors_of(good(description="x" * 5001))["description"] == [
        "What you are asking for must be 5,000 characters or less"
    ]
    assert schema().load(good(description="x" * 5000)).description == "x" * 5000
    assert "Your name must be 200" in errors_of(good(requester_name="a" * 201))["requester_name"][0]
    assert errors_of(good(subject_last_name="Smith\x00"))["subject_last_name"] == [
        "Remove any special characters"
    ]


def test_schema_keeps_new_lines_in_the_description():
    assert schema().load(good(description="line one\nline two")).description == "line one\nline two"


@pytest.mark.parametrize("value", ["2026-03-02", "2026-03-03", "2030-01-01"])
def test_schema_refuses_date_of_birth_today_or_in_the_future(value):
    assert errors_of(good(subject_date_of_birth=value))["subject_date_of_birth"] == [
        "Date of birth must be in the past"
    ]


def test_schema_refuses_date_of_birth_over_120_years_ago():
    assert errors_of(good(subject_date_of_birth="1906-03-01"))["subject_date_of_birth"] == [
        "Date of birth must be after 2 March 1906"
    ]
    assert schema().load(good(subject_date_of_birth="1906-03-02"))


@pytest.mark.parametrize("value", ["2014-02-30", "30/06/1985", "1985-6-30x", "yesterday"])
def test_schema_refuses_unreal_dates(value):
    assert errors_of(good(subject_date_of_birth=value))["subject_date_of_birth"] == [
        "Date of birth must be a real date"
    ]


def test_check_date_of_birth_on_29_february():
    # 1900 was not a leap year: 120 years before 29 February 2020 counts as 28 February 1900.
    assert check_date_of_birth(date(1900, 2, 28), date(2020, 2, 29)) is None
    assert check_date_of_birth(date(1900, 2, 27), date(2020, 2, 29)) == (
        "Date of birth must be after 28 February 1900"
    )


def test_schema_accepts_a_valid_upn_for_a_pupil_and_compacts_it():
    submission = schema().load(good(subject_role="pupil", subject_upn="b801 2000 05001"))
    assert submission.subject_upn == "B801200005001"


@pytest.mark.parametrize("upn", ["A123456789012", "A801200005001", "B80120000500", "X80120000A001"])
def test_schema_refuses_an_invalid_upn(upn):
    assert errors_of(good(subject_role="pupil", subject_upn=upn))["subject_upn"] == [
        "Enter a unique pupil number in the correct format, like B801200005001"
    ]


def test_schema_refuses_upn_or_staff_number_for_the_wrong_role():
    assert errors_of(good(subject_role="staff", subject_upn="B801200005001"))["subject_upn"] == [
        MESSAGES["subject_upn_role"]
    ]
    assert errors_of(good(subject_role="pupil", subject_staff_number="123"))["subject_staff_number"] == [
        MESSAGES["subject_staff_number_role"]
    ]


def test_schema_refuses_an_unknown_or_malformed_organisation():
    assert errors_of(good(organisation_id=str(uuid.uuid4())))["organisation_id"] == [
        MESSAGES["organisation_unknown"]
    ]
    assert errors_of(good(organisation_id="oak-hill"))["organisation_id"] == [
        MESSAGES["organisation_unknown"]
    ]


def test_schema_refuses_unknown_fields_and_wrong_json_types():
    messages = errors_of(good(is_admin=True, requester_name=5))
    assert "is_admin" in messages and messages["requester_name"] == [MESSAGES["requester_name"]]


def test_schema_reports_every_error_at_once():
    messages = errors_of(good(requester_email="bad", subject_date_of_birth="2099-01-01", request_type=None))
    assert set(messages) == {"requester_email", "subject_date_of_birth", "request_type"}


def test_schema_default_lookup_accepts_schools_and_nurseries_not_trusts(db_session):
    school = make_organisation("Oak Hill Primary School")
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    trust = make_organisation("Oak Trust", kind="trust")
    for organisation, ok in ((school, True), (nursery, True), (trust, False)):
        try:
            RequestSubmissionSchema(today=TODAY).load(good(organisation_id=str(organisation.id)))
            assert ok
        except ValidationError as error:
            assert not ok and "organisation_id" in error.messages


# --- the web form's date boxes ---------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "message", "target"),
    [
        (("", "", ""), "Enter their date of birth", "subject_date_of_birth-day"),
        (("", "3", "2014"), "Date of birth must include a day", "subject_date_of_birth-day"),
        (("27", "", "2014"), "Date of birth must include a month", "subject_date_of_birth-month"),
        (("27", "3", ""), "Date of birth must include a year", "subject_date_of_birth-year"),
        (("", "", "2014"), "Date of birth must include a day and month", "subject_date_of_birth-day"),
        (("31", "2", "2014"), "Date of birth must be a real date", "subject_date_of_birth-day"),
        (("27", "March", "2014"), "Date of birth must be a real date", "subject_date_of_birth-month"),
        (("27", "3", "14"), "Year must include 4 numbers", "subject_date_of_birth-year"),
        (("\uff12\uff17", "3", "2014"), "Date of birth must be a real date", "subject_date_of_birth-day"),
    ],
)
def test_parse_date_parts_messages(parts, message, target):
    assert parse_date_parts(*parts) == (None, message, target)


def test_parse_date_parts_accepts_spaces_and_leading_zeros():
    assert parse_date_parts(" 07 ", "03", "2014") == (date(2014, 3, 7), None, None)


def _web(**changes) -> dict[str, str]:
    form = {
        "request_type": "erasure",
        "requester_relationship": "parent_carer",
        "organisation_id": str(SCHOOL_ID),
        "subject_first_name": "Alex",
        "subject_last_name": "Example",
        "subject_date_of_birth-day": "7",
        "subject_date_of_birth-month": "3",
        "subject_date_of_birth-year": "2014",
        "subject_role": "pupil",
        "description": "Please delete the photographs.",
        "requester_name": "Sam Example",
        "requester_email": "sam@example.com",
        "csrf_token": "ignored",
    }
    form.update(changes)
    return form


def test_parse_request_form_builds_the_same_submission_as_the_api(db_session):
    school = make_organisation("Oak Hill Primary School")
    result = parse_request_form(_web(organisation_id=str(school.id)), today=TODAY)
    assert result.errors == [] and result.submission is not None
    assert result.submission.subject_date_of_birth == date(2014, 3, 7)
    assert result.submission.organisation_id == school.id and result.school.name == "Oak Hill Primary School"


def test_parse_request_form_maps_errors_to_field_ids_in_page_order(db_session):
    school = make_organisation("Oak Hill Primary School")
    form = _web(
        organisation_id=str(school.id),
        requester_email="nope",
        request_type="",
        **{"subject_date_of_birth-day": ""},
    )
    result = parse_request_form(form, today=TODAY)
    assert result.submission is None
    assert result.errors == [
        ("request_type", MESSAGES["request_type"]),
        ("subject_date_of_birth-day", "Date of birth must include a day"),
        ("requester_email", MESSAGES["requester_email_format"]),
    ]
    assert (
        result.values["requester_email"] == "nope" and result.values["subject_date_of_birth-year"] == "2014"
    )


def test_parse_request_form_date_in_the_future_links_to_the_day_box(db_session):
    school = make_organisation("Oak Hill Primary School")
    result = parse_request_form(
        _web(organisation_id=str(school.id), **{"subject_date_of_birth-year": "2027"}), today=TODAY
    )
    assert result.errors == [("subject_date_of_birth-day", "Date of birth must be in the past")]


def test_parse_request_form_spots_the_honeypot_before_validating():
    result = parse_request_form({"website": "buy now"})
    assert result.is_spam and result.submission is None and result.errors == []
