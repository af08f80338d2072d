"""Identity scoring (no database) and ``find`` on the person stores."""

from __future__ import annotations

from datetime import date

import pytest

from app.sources.contacts.source import SOURCE as CONTACTS
from app.sources.employees.source import SOURCE as EMPLOYEES
from app.sources.matching import (
    FLOOR,
    WEAK,
    PersonFacts,
    TypedIdentity,
    edit_distance,
    postcode_variants,
    score,
)
from app.sources.names import name_key, phone_key
from app.sources.protocol import Identity, PersonKind
from app.sources.pupils.source import SOURCE as PUPILS
from tests.unit.sources.factories import MOTHER_EMAIL, TEACHER_EMAIL, TWINS_BORN, make_upn

BORN = date(2015, 5, 4)


def facts(forename: str, surname: str, **extra) -> PersonFacts:
    return PersonFacts.of(
        forename_key=name_key(forename), surname_key=name_key(surname), surname=surname, **extra
    )


def typed(forename: str, surname: str, **extra) -> TypedIdentity:
    return TypedIdentity.of(
        Identity(organisation_ids=frozenset(), forename=forename, surname=surname, **extra)
    )


def test_edit_distance_counts_transposition_once():
    assert edit_distance("jhon", "john", 2) == 1
    assert edit_distance("smith", "smyth", 2) == 1
    assert edit_distance("abcdef", "uvwxyz", 2) == 3


def test_postcode_variants_cover_spaced_and_packed_forms():
    assert postcode_variants(" ls1  4ap") == ["LS1 4AP", "LS14AP"]


def test_score_full_name_and_dob_is_strong():
    value, reasons = score(
        typed("Amelia", "Smith", date_of_birth=BORN), facts("Amelia", "Smith", date_of_birth=BORN)
    )
    assert value >= 0.8 and {"dob_exact", "forename_exact", "surname_exact"} <= set(reasons)


@pytest.mark.parametrize(
    ("typed_names", "reason"),
    [
        (("Amelai", "Smith"), "forename_typo"),
        (("Amelia", "Smyth"), "surname_typo"),
        (("Millie", "Smith"), "forename_preferred"),
        (("Rose", "Smith"), "forename_middle"),
        (("Smith", "Amelia"), "names_swapped"),
        (("amélia", "SMITH"), "forename_exact"),
    ],
)
def test_score_tolerates_variation_when_dob_matches(typed_names, reason):
    stored = facts("Amelia", "Smith", preferred_forename="Millie", middle_names="Rose", date_of_birth=BORN)
    value, reasons = score(typed(*typed_names, date_of_birth=BORN), stored)
    assert reason in reasons
    assert value >= WEAK


def test_score_surname_only_is_below_weak_or_unlisted():
    found = score(typed("Zachary", "Smith"), facts("Amelia", "Smith"))
    assert found is None or found[0] < WEAK


def test_score_names_right_but_dob_wrong_is_weak_but_listed():
    value, reasons = score(
        typed("Amelia", "Smith", date_of_birth=date(2014, 1, 1)), facts("Amelia", "Smith", date_of_birth=BORN)
    )
    assert FLOOR <= value < WEAK and "dob_differs" in reasons


def test_score_exact_key_listed_even_when_everything_else_disagrees():
    value, reasons = score(
        typed("Zed", "Jones", date_of_birth=date(2001, 1, 1)),
        facts("Amelia", "Smith", date_of_birth=BORN),
        {"upn_exact"},
    )
    assert "upn_exact" in reasons and value < WEAK


def test_score_hyphenated_surname_matches_one_part():
    value, reasons = score(
        typed("Amelia", "Nunez", date_of_birth=BORN), facts("Amelia", "O'Brien-Núñez", date_of_birth=BORN)
    )
    assert "surname_partial" in reasons and value >= WEAK


def test_score_day_and_month_swapped_counts_for_less_than_exact():
    swapped = score(
        typed("Amelia", "Smith", date_of_birth=date(2015, 4, 5)), facts("Amelia", "Smith", date_of_birth=BORN)
    )
    exact = score(typed("Amelia", "Smith", date_of_birth=BORN), facts("Amelia", "Smith", date_of_birth=BORN))
    assert "dob_day_month_swapped" in swapped[1] and WEAK <= swapped[0] < exact[0]


def _pupil_identity(world, forename, surname, **extra) -> Identity:
    return Identity(
        organisation_ids=frozenset({world.elm.id}), forename=forename, surname=surname, role="pupil", **extra
    )


def test_find_pupil_by_upn_exact(db_session, world):
    found = PUPILS.find(
        db_session, _pupil_identity(world, "Amelia", "O'Brien-Núñez", upn=make_upn(1).lower())
    )
    assert found[0].record_id == world.amelia.id and "upn_exact" in found[0].reasons
    assert found[0].score == 1.0 and found[0].kind is PersonKind.PUPIL


@pytest.mark.parametrize(
    ("forename", "surname"),
    [
        ("Amelia", "OBrien Nunez"),  # accents, apostrophe and hyphen dropped
        ("amelia", "o'brien-núñez"),  # case
        ("Millie", "O'Brien-Núñez"),  # preferred forename
        ("O'Brien-Núñez", "Amelia"),  # swapped
        ("Amlia", "O'Brien-Nunez"),  # forename typo
        ("Amelia", "O'Brian-Nunez"),  # surname typo
    ],
)
def test_find_pupil_by_names_and_dob_ranks_the_right_twin_first(db_session, world, forename, surname):
    found = PUPILS.find(db_session, _pupil_identity(world, forename, surname, date_of_birth=TWINS_BORN))
    assert found[0].record_id == world.amelia.id
    assert found[0].score >= WEAK
    assert {c.organisation_id for c in found} == {world.elm.id}


@pytest.mark.parametrize(("forename", "surname"), [("Malgorzata", "Wojcik"), ("Małgorzata", "Wójcik")])
def test_find_pupil_whose_name_has_letters_that_do_not_fold_typed_either_way(
    db_session, world, forename, surname
):
    """ł has no accent to fold away: "Malgorzata" is the same name, not a typo."""
    from tests.unit.sources.factories import pupil

    born = date(2016, 3, 9)
    gosia = pupil(db_session, world.elm, "Małgorzata", "Wójcik", born, make_upn(40))
    assert (gosia.forename_key, gosia.surname_key) == ("malgorzata", "wojcik")
    found = PUPILS.find(db_session, _pupil_identity(world, forename, surname, date_of_birth=born))
    assert found[0].record_id == gosia.id
    assert {"forename_exact", "surname_exact", "dob_exact"} <= set(found[0].reasons)
    assert "forename_typo" not in found[0].reasons and found[0].score >= WEAK


def test_score_letters_that_do_not_fold_are_exact_not_typos():
    value, reasons = score(
        typed("Lukasz", "Strauss", date_of_birth=BORN), facts("Łukasz", "Strauß", date_of_birth=BORN)
    )
    assert {"forename_exact", "surname_exact"} <= set(reasons) and value >= 0.8


def test_find_twins_with_same_dob_and_surname_not_merged(db_session, world):
    found = PUPILS.find(
        db_session,
        _pupil_identity(world, "Isla", "O'Brien-Núñez", date_of_birth=TWINS_BORN, postcode="LS1 4AP"),
    )
    by_id = {c.record_id: c for c in found}
    assert set(by_id) == {world.isla.id, world.amelia.id}
    assert found[0].record_id == world.isla.id
    assert by_id[world.isla.id].score >= WEAK > by_id[world.amelia.id].score
    assert by_id[world.isla.id].score - by_id[world.amelia.id].score >= 0.3
    assert "forename_differs" in by_id[world.amelia.id].reasons


def test_find_pupil_outside_the_organisations_not_found(db_session, world):
    identity = Identity(
        organisation_ids=frozenset({world.oak.id}),
        forename="Isla",
        surname="O'Brien-Núñez",
        date_of_birth=TWINS_BORN,
        role="pupil",
    )
    found = PUPILS.find(db_session, identity)
    assert [c.record_id for c in found] == [world.oak_amelia.id]


def test_find_pupil_with_wrong_dob_still_lists_exact_names_as_weak(db_session, world):
    found = PUPILS.find(
        db_session, _pupil_identity(world, "Amelia", "O'Brien-Núñez", date_of_birth=date(2015, 6, 4))
    )
    assert [c.record_id for c in found] == [world.amelia.id]
    assert found[0].score < WEAK and "dob_differs" in found[0].reasons


def test_find_parent_as_contact_by_email_and_by_name(db_session, world):
    orgs = frozenset({world.elm.id})
    by_email = CONTACTS.find(
        db_session,
        Identity(orgs, "Siobhan", "O'Brien", emails=frozenset({MOTHER_EMAIL.upper()}), role="parent"),
    )
    assert by_email[0].record_id == world.mother.id and "email_exact" in by_email[0].reasons
    by_name = CONTACTS.find(
        db_session, Identity(orgs, "Shiobhan", "OBrien", postcode="ls14ap", role="parent")
    )
    assert by_name[0].record_id == world.mother.id
    assert {"forename_typo", "surname_exact", "postcode_exact"} <= set(by_name[0].reasons)


@pytest.mark.parametrize(
    ("typed_number", "key"),
    [
        ("07700 900123", "07700900123"),
        ("+44 (0)7700 900123", "07700900123"),
        ("+44 7700 900123", "07700900123"),
        ("0044 7700-900123", "07700900123"),
        ("0113 496 0000", "01134960000"),
        ("900123", None),
        ("0770090012345678", None),
        ("", None),
    ],
)
def test_phone_key_is_the_number_as_dialled_in_the_uk(typed_number, key):
    assert phone_key(typed_number) == key


def test_find_parent_as_contact_by_phone_when_surname_and_email_changed(db_session, world):
    from app.sources.contacts.models import Contact
    from tests.unit.sources.factories import contact

    orgs = frozenset({world.elm.id})
    mother = db_session.get(Contact, world.mother.id)
    mother.mobile_phone = "07700 900461"  # through the ORM: the key follows
    father = contact(db_session, world.elm, "Declan", "O'Brien", home_phone="0113 496 0372")
    namesake = contact(db_session, world.oak, "Siobhan", "Byrne", mobile_phone="07700 900461")
    assert (mother.mobile_key, father.home_key) == ("07700900461", "01134960372")
    # Remarried, a new email: the name the school has is not the one typed.
    typed_identity = Identity(
        orgs, "Siobhan", "Byrne", emails=frozenset({"siobhan.byrne@example.net"}),
        phones=frozenset({"+44 7700 900461"}), role="parent",
    )  # fmt: skip
    found = CONTACTS.find(db_session, typed_identity)
    assert found[0].record_id == mother.id and "phone_exact" in found[0].reasons
    assert namesake.id not in {c.record_id for c in found}  # another school's record
    # The household's shared landline lists the father too, below the mother.
    home = CONTACTS.find(
        db_session, Identity(orgs, "Siobhan", "O'Brien", phones=frozenset({"01134960372"}), role="parent")
    )
    ranked = [c.record_id for c in home]
    assert ranked.index(mother.id) < ranked.index(father.id)
    assert "phone_exact" in home[ranked.index(father.id)].reasons
    # Rectifying the number moves the key with it.
    mother.mobile_phone = None
    assert mother.mobile_key is None


def test_find_staff_by_staff_number(db_session, world):
    found = EMPLOYEES.find(
        db_session, Identity(frozenset({world.elm.id}), "M", "Hughes", staff_number="s1001", role="staff")
    )
    assert found[0].record_id == world.teacher.id and "staff_number_exact" in found[0].reasons


def test_find_former_staff_by_preferred_name_and_dob(db_session, world):
    found = EMPLOYEES.find(
        db_session,
        Identity(
            frozenset({world.elm.id}), "Peggy", "Hughes", date_of_birth=date(1980, 2, 3), role="former_staff"
        ),
    )
    assert [c.record_id for c in found] == [world.teacher.id]
    assert {"forename_preferred", "dob_exact"} <= set(found[0].reasons) and found[0].score >= WEAK
    assert found[0].summary["staff_number"] == "S1001"


def test_find_staff_by_work_email(db_session, world):
    found = EMPLOYEES.find(
        db_session,
        Identity(
            frozenset({world.elm.id}), "Margaret", "Hughes", emails=frozenset({TEACHER_EMAIL}), role="staff"
        ),
    )
    assert found[0].record_id == world.teacher.id and found[0].score >= 0.9


def test_find_skips_stores_not_for_the_role(db_session, world):
    identity = Identity(
        frozenset({world.elm.id}), "Margaret", "Hughes", date_of_birth=date(1980, 2, 3), role="pupil"
    )
    assert EMPLOYEES.find(db_session, identity) == []
    assert CONTACTS.find(db_session, identity) == []


def test_find_without_organisations_finds_nothing(db_session, world):
    assert PUPILS.find(db_session, Identity(frozenset(), "Amelia", "O'Brien-Núñez", upn=make_upn(1))) == []


def test_score_staff_number_alone_not_listed_when_everything_else_disagrees():
    """Staff numbers repeat from school to school within a trust."""
    stored = facts("Amelia", "Smith", date_of_birth=BORN)
    other = typed("Zed", "Jones", date_of_birth=date(1970, 1, 1))
    assert score(other, stored, {"staff_number_exact"}) is None
