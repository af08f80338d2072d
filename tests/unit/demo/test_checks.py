"""Import checks: each bad field is reported by name."""

from __future__ import annotations

from datetime import date

import pytest

from app.demo.checks import check_contact_row, check_employee_row, check_pupil_row
from app.sources.validation import FieldError

GOOD_PUPIL = {
    "upn": "B801200005001", "legal_forename": "Zoë", "legal_surname": "O'Neill-Smith",
    "date_of_birth": "2016-05-04", "gender": "F", "postcode": "BS1 4DJ", "ethnicity": "WBRI",
    "first_language": "ENG", "on_roll_date": "2020-09-02", "leaving_date": None, "year_group": "4",
}


def _field(check, row) -> str:
    with pytest.raises(FieldError) as caught:
        check(row)
    return caught.value.field


def test_check_pupil_row_accepts_a_good_row():
    clean = check_pupil_row(GOOD_PUPIL)
    assert clean["upn"] == "B801200005001"
    assert clean["date_of_birth"] == date(2016, 5, 4)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"upn": "A801200005001"}, "upn"),  # wrong check letter
        ({"upn": "B000200005001"}, "upn"),  # unknown local authority
        ({"upn": ""}, "upn"),
        ({"former_upn": "B80120000500"}, "former_upn"),
        ({"former_upn": "B801200005001"}, "former_upn"),  # same as the current one
        ({"date_of_birth": "2016-13-01"}, "date_of_birth"),
        ({"date_of_birth": "04/05/2016"}, "date_of_birth"),
        ({"on_roll_date": "soon"}, "on_roll_date"),
        ({"leaving_date": "2019-07-20"}, "leaving_date"),  # before joining
        ({"gender": "X"}, "gender"),
        ({"postcode": "NOT A CODE"}, "postcode"),
        ({"ethnicity": "ZZZZ"}, "ethnicity"),
        ({"year_group": "14"}, "year_group"),
    ],
)
def test_check_pupil_row_names_bad_field(changes, field):
    assert _field(check_pupil_row, GOOD_PUPIL | changes) == field


def test_check_contact_row_rejects_bad_email():
    row = {"forename": "Ama", "surname": "Mensah", "email": "ama.mensah@", "postcode": "E14 2AB"}
    assert _field(check_contact_row, row) == "email"
    assert check_contact_row(row | {"email": "ama@example.org"})["email"] == "ama@example.org"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"work_email": "not an email"}, "work_email"),
        ({"personal_email": "a@b"}, "personal_email"),
        ({"teacher_reference_number": "12345"}, "teacher_reference_number"),
        ({"start_date": "2020-02-30"}, "start_date"),
        ({"leave_date": "2019-01-01"}, "leave_date"),
    ],
)
def test_check_employee_row_names_bad_field(changes, field):
    row = {"staff_number": "S1001", "forename": "Siân", "surname": "Lloyd", "start_date": "2020-09-01",
           "work_email": "slloyd@school.example", "teacher_reference_number": "1234567"}
    check_employee_row(row)
    assert _field(check_employee_row, row | changes) == field
