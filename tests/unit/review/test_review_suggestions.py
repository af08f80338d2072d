"""Suggested redactions: other known people's names in free text, matched as
whole words in any case and with or without accents; the subject (and a
parent requester) never suggested; names from the case's organisations only;
a fixed number of queries however many people the school has."""

from __future__ import annotations

import dataclasses
import string
import time
import uuid
from datetime import date

import pytest
from sqlalchemy import insert

from app.db import utcnow
from app.extensions import db
from app.review.suggestions import (
    CONTACT,
    PUPIL,
    STAFF,
    free_text_fields,
    name_index,
    suggest,
    suggest_in_text,
)
from app.sources.names import name_key
from app.sources.pupils.models import Pupil
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.sources.conftest import counting_statements
from tests.unit.sources.factories import contact, make_upn, pupil


@pytest.fixture
def index(world, caseworker):
    """Amelia's case (her mother asking): Elm knows her twin Isla, their
    mother Siobhan O'Brien and Margaret "Peggy" Hughes; add a father and a
    classmate, and a pupil at Oak, which is another school."""
    father = contact(db.session, world.elm, "Patrick", "O'Brien")
    assert father.id
    pupil(db.session, world.elm, "Zoë", "Ó Dónaill", date(2015, 1, 9), make_upn(7))
    pupil(db.session, world.oak, "Quentin", "Blake", date(2015, 3, 1), make_upn(8))
    db.session.commit()
    return name_index(confirmed_amelia(world, caseworker))


def _found(index, text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.name_kind) for s in suggest_in_text(index, "body", text)]


def test_sibling_forename_and_full_name_are_suggested_as_pupil(index):
    text = "Dear Mrs O'Brien, Amelia and Isla did well. Isla O'Brien-Núñez led the group."
    assert _found(index, text) == [("Isla", PUPIL), ("Isla O'Brien-Núñez", PUPIL)]


def test_subject_own_names_are_never_suggested(index):
    text = "Amelia Rose O'Brien-Núñez (Millie) and Amelia O'Brien, called Núñez by friends."
    assert _found(index, text) == []


def test_parent_requester_is_not_suggested_but_the_other_parent_is(index):
    assert _found(index, "Siobhan O'Brien phoned; Patrick O'Brien will collect.") == [
        ("Patrick O'Brien", CONTACT)
    ]


def test_requester_name_is_suggested_when_they_are_not_a_parent(world, caseworker):
    case = confirmed_amelia(world, caseworker, requester_relationship="authorised_third_party")
    index = name_index(case)
    assert _found(index, "Siobhan called the office.") == [("Siobhan", CONTACT)]


def test_matching_ignores_case_and_accents(index):
    text = "ISLA, isla o'brien-nunez, zoe o donaill, Zoë Ó Dónaill and PEGGY hughes"
    assert _found(index, text) == [
        ("ISLA", PUPIL),
        ("isla o'brien-nunez", PUPIL),
        ("zoe o donaill", PUPIL),
        ("Zoë Ó Dónaill", PUPIL),
        ("PEGGY hughes", STAFF),
    ]


def test_combining_accents_match_like_precomposed_ones(index):
    decomposed = "Zoe\u0308 was absent"
    assert _found(index, decomposed) == [("Zoe\u0308", PUPIL)]


def test_only_whole_words_match(index):
    assert _found(index, "Islay whisky, Margaretta, Hughesdon and id 8isla_9 or isla2") == []


def test_a_possessive_is_left_outside_the_span(index):
    assert _found(index, "It was Isla's idea and Peggy\u2019s plan.") == [("Isla", PUPIL), ("Peggy", STAFF)]


def test_words_of_a_name_must_stand_together(index):
    assert _found(index, "Margaret. Hughes arrived") == [("Margaret", STAFF), ("Hughes", STAFF)]


def test_people_of_other_organisations_are_not_suggested(index):
    assert _found(index, "Quentin Blake drew it.") == []


def test_anonymised_pupils_are_not_suggested(world, caseworker):
    pupil(
        db.session, world.elm, "Xanthe", "Gone", date(2015, 2, 2), make_upn(9), anonymised_at=date(2024, 1, 1)
    )
    db.session.commit()
    index = name_index(confirmed_amelia(world, caseworker))
    assert _found(index, "Xanthe Gone left.") == []


def test_long_text_at_any_depth_is_scanned_and_spans_name_its_path(index):
    data = {
        "sender_name": "Isla Smith",  # a short label
        "pupil_id": str(uuid.uuid4()),
        "entries": [{"body": "Isla was here for a long while"}],  # a transcript entry
        "body": "Isla and Peggy Hughes met today.",
        "subject": "About Isla at lunch time",
    }
    assert [path for path, _ in free_text_fields(data)] == ["body", "entries.0.body", "subject"]
    spans = [(s.field, s.start, s.end) for s in suggest(index, data)]
    assert spans == [("body", 0, 4), ("body", 9, 21), ("entries.0.body", 0, 4), ("subject", 6, 10)]


def test_suggestions_hold_offsets_and_kind_only(index):
    (found,) = suggest_in_text(index, "body", "Isla came.")
    assert [field.name for field in dataclasses.fields(found)] == ["field", "start", "end", "name_kind"]


def _letters(n: int) -> str:
    """A distinct run of letters per number (names hold no digits)."""
    return "".join(string.ascii_lowercase[n // 26**power % 26] for power in (3, 2, 1, 0))


def _many_pupils(world, count: int) -> None:
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "organisation_id": world.elm.id,
            "upn": make_upn(1000 + n),
            "legal_forename": f"Fore{_letters(n)}",
            "legal_surname": f"Sur{_letters(n)}",
            "forename_key": name_key(f"Fore{_letters(n)}"),
            "surname_key": name_key(f"Sur{_letters(n)}"),
            "date_of_birth": date(2015, 1, 1),
            "gender": "F",
            "fsm_eligible": False,
            "created_at": now,
        }
        for n in range(count)
    ]
    db.session.execute(insert(Pupil), rows)
    db.session.commit()


def test_name_index_reads_a_fixed_number_of_queries_whatever_the_school_size(world, caseworker):
    case = confirmed_amelia(world, caseworker)
    with counting_statements(db.session) as small:
        name_index(case)
    _many_pupils(world, 300)
    with counting_statements(db.session) as large:
        index = name_index(case)
    # The case row (expired by the commit), its organisations, its confirmed
    # records, then one query per person store.
    assert large.count == small.count <= 6
    assert len(index) > 600  # every pupil's full name and each word


def test_suggestions_scale_to_thousands_of_pupils(world, caseworker):
    _many_pupils(world, 4000)
    case = confirmed_amelia(world, caseworker)
    started = time.perf_counter()
    index = name_index(case)
    text = f"Fore{_letters(3999)} Sur{_letters(3999)} sat with Isla. " * 50
    found = [suggest_in_text(index, "body", text) for _ in range(100)]
    elapsed = time.perf_counter() - started
    assert len(found[0]) == 100 and found[0][0].name_kind == PUPIL
    assert elapsed < 10  # seconds, on a shared CI machine: a per-name regex would take far longer
