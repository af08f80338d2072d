"""Each rectifiable field checks a new value with the store's own rule and
answers with that field's message."""

from __future__ import annotations

from datetime import date

import pytest

from app.rectification.fields import FIELDS, field_for
from app.sources.protocol import PersonKind
from app.sources.validation import FieldError
from tests.unit.sources.factories import make_upn

P, C, E = PersonKind.PUPIL, PersonKind.CONTACT, PersonKind.EMPLOYEE


@pytest.mark.parametrize(
    ("kind", "field", "value", "message"),
    [
        (P, "upn", "A801200000019", "Unique pupil number (UPN): 'A801200000019' is not a valid UPN"),
        (P, "date_of_birth", "2015-02-30", "Date of birth: '2015-02-30' is not a date (YYYY-MM-DD)"),
        (P, "date_of_birth", "2999-01-01", "Date of birth must be in the past"),
        (P, "date_of_birth", "1800-01-01", "Date of birth must be after"),
        (P, "postcode", "LS1", "Postcode: 'LS1' is not a UK postcode"),
        (P, "legal_surname", "Smith\x00", "Legal last name: must not contain control characters"),
        (P, "legal_surname", "x" * 101, "Legal last name: must be 100 characters or less"),
        (P, "legal_forename", "   ", "Legal first name: enter a value; it cannot be left blank"),
        (C, "email", "not-an-email", "Email address: 'not-an-email' is not an email address"),
        (C, "mobile_phone", "call me", "Mobile phone: Enter a telephone number"),
        (E, "personal_email", "a@b", "Personal email address: 'a@b' is not an email address"),
        (E, "date_of_birth", "31/12/1980", "Date of birth: '31/12/1980' is not a date (YYYY-MM-DD)"),
    ],
)
def test_bad_value_is_refused_with_the_fields_message(kind, field, value, message) -> None:
    with pytest.raises(FieldError) as caught:
        field_for(kind, field).parse(value)
    assert caught.value.field == "value"
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize(
    ("kind", "field", "value", "stored"),
    [
        (P, "upn", make_upn(7).lower(), make_upn(7)),
        (P, "date_of_birth", "2015-06-01", date(2015, 6, 1)),
        (P, "postcode", " ls1 4ap ", "LS1 4AP"),
        (P, "preferred_forename", "", None),
        (C, "email", " mum@example.net ", "mum@example.net"),
        (C, "home_phone", "01632 960 001", "01632 960 001"),
        (E, "preferred_name", "Peg", "Peg"),
    ],
)
def test_good_value_is_stored_in_the_stores_form(kind, field, value, stored) -> None:
    assert field_for(kind, field).parse(value) == stored


def test_unknown_field_is_refused_on_field() -> None:
    with pytest.raises(FieldError) as caught:
        field_for(P, "fsm_eligible")
    assert caught.value.field == "field"


def test_every_field_is_a_column_of_its_store() -> None:
    from app.rectification.fields import STORES

    for kind, fields in FIELDS.items():
        columns = STORES[kind].__table__.columns
        for name, spec in fields.items():
            column = columns[name]
            assert spec.required is (not column.nullable), name
            length = getattr(column.type, "length", None)
            assert spec.max_length == length, name
