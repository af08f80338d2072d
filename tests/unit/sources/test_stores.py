from datetime import date

import pytest

from app.sources.names import name_key, normalise_postcode
from app.sources.pupils.models import ATTENDANCE_CODES, AttendanceWeek, Session, encode_week
from app.sources.validation import FieldError, check_date, check_email, check_postcode, check_trn, check_upn


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("O'Brien", "OBRIEN"), ("Smith-Jones", "smith jones"), ("Zoë", "ZOE"), ("Núñez", "nunez")],
)
def test_name_key_matches_names_typed_differently(typed, stored):
    assert name_key(typed) == name_key(stored)


@pytest.mark.parametrize(
    ("letter", "spelt"),
    [
        ("ł", "l"), ("Ł", "l"), ("ß", "ss"), ("ẞ", "ss"), ("ø", "o"), ("Ø", "o"), ("đ", "d"), ("Đ", "d"),
        ("ð", "d"), ("Ð", "d"), ("þ", "th"), ("Þ", "th"), ("æ", "ae"), ("Æ", "ae"), ("œ", "oe"),
        ("Œ", "oe"), ("\N{LATIN SMALL LETTER DOTLESS I}", "i"), ("ħ", "h"), ("ŀ", "l"),
    ],
)  # fmt: skip
def test_name_key_spells_out_letters_that_do_not_fold_to_ascii(letter, spelt):
    """NFKD alone does not split these into a letter and an accent, so
    folding to ASCII used to drop them ("Łukasz" -> "ukasz")."""
    assert name_key(f"A{letter}a") == f"a{spelt}a"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Łukasz", "lukasz"), ("ŁUKASZ", "lukasz"), ("Małgorzata", "malgorzata"), ("Strauß", "strauss"),
        ("STRAUẞ", "strauss"), ("Søren", "soren"), ("SØREN", "soren"), ("Đorđe", "dorde"), ("Þóra", "thora"),
        ("Ærøskøbing", "aeroskobing"), ("Małgorzata Wójcik-Ł", "malgorzatawojcikl"),
    ],
)  # fmt: skip
def test_name_key_of_names_with_such_letters(name, key):
    assert name_key(name) == key


@pytest.mark.parametrize(
    ("name", "key"),
    [("Amelia", "amelia"), ("O'Brien-Smith", "obriensmith"), ("MARY JANE", "maryjane"), ("", "")],
)
def test_name_key_of_ascii_names_unchanged(name, key):
    assert name_key(name) == key


def test_postcode_normalisation_ignores_spacing_and_case():
    assert normalise_postcode(" ls1  4ap") == "LS14AP"


def test_attendance_week_round_trips_marks_including_two_letter_codes():
    slots = encode_week(
        {(0, Session.AM): "/", (0, Session.PM): "\\", (2, Session.AM): "C1", (4, Session.PM): "#"}
    )
    week = AttendanceWeek(week_start=date(2025, 9, 8), slots=slots)
    marks = week.marks()
    assert [(m.date, m.session, m.code) for m in marks] == [
        (date(2025, 9, 8), Session.AM, "/"),
        (date(2025, 9, 8), Session.PM, "\\"),
        (date(2025, 9, 10), Session.AM, "C1"),
        (date(2025, 9, 12), Session.PM, "#"),
    ]
    assert all(mark.code in ATTENDANCE_CODES for mark in marks)


def test_encode_week_refuses_codes_the_dfe_does_not_define():
    with pytest.raises(ValueError, match="attendance code"):
        encode_week({(0, Session.AM): "Q9"})


def test_attendance_weeks_are_stored_and_read_back(db_session):
    from app.orgs.services import create_organisation
    from app.sources.pupils.models import Pupil

    org = create_organisation(
        name="Elm School",
        kind="school",
        nation="wales",
        contract_start=date(2024, 1, 1),
        dp_contact_name="DPO",
        dp_contact_email="dpo@elm.sch.uk",
    )
    db_session.flush()
    pupil = Pupil(
        organisation_id=org.id,
        upn=check_upn("B801200005001"),
        legal_forename="Ffion",
        legal_surname="Evans",
        surname_key="evans",
        forename_key="ffion",
        date_of_birth=date(2016, 3, 4),
        gender="F",
    )
    db_session.add(pupil)
    db_session.flush()
    db_session.add(
        AttendanceWeek(
            pupil_id=pupil.id, week_start=date(2025, 9, 8), slots=encode_week({(1, Session.AM): "I"})
        )
    )
    db_session.commit()
    stored = db_session.get(AttendanceWeek, (pupil.id, date(2025, 9, 8)))
    assert [m.meaning for m in stored.marks()] == ["Illness"]


@pytest.mark.parametrize(
    ("check", "value", "field"),
    [
        (check_upn, "A801200005001", "upn"),
        (check_email, "jane.example.org", "email"),
        (check_postcode, "LS1", "postcode"),
        (check_trn, "12345", "teacher_reference_number"),
        (lambda v: check_date(v, "date_of_birth"), "2016-02-30", "date_of_birth"),
    ],
)
def test_validation_errors_name_their_field(check, value, field):
    with pytest.raises(FieldError) as excinfo:
        check(value)
    assert excinfo.value.field == field
    assert field in str(excinfo.value)
