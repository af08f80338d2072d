"""A parent asking about a pupil of 12 or over: which rule of the child's own
rights the console shows (app.cases.children)."""

from __future__ import annotations

from datetime import date

import pytest

from app.cases.children import ChildsRights, age_on, childs_view
from app.extensions import db
from app.orgs.models import Nation
from tests.unit.cases.factory import new_case

RECEIVED = date(2026, 11, 2)


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(2014, 11, 2), date(2026, 11, 2), 12),  # the birthday itself
        (date(2014, 11, 3), date(2026, 11, 2), 11),  # the day before it
        (date(2012, 2, 29), date(2025, 2, 28), 12),  # leap-day birthday in a common year: not yet
        (date(2012, 2, 29), date(2025, 3, 1), 13),
        (date(2012, 2, 29), date(2024, 2, 29), 12),
    ],
)
def test_age_on_counts_whole_years(born, day, age):
    assert age_on(born, day) == age


def test_parent_asking_about_a_twelve_year_old_must_consider_the_childs_view(school):
    case = new_case(school, subject_dob=date(2014, 11, 2), received_on=RECEIVED)
    view = childs_view(case)
    assert view is not None
    assert (view.rule, view.age, view.received_on) == (ChildsRights.MAY_DECIDE, 12, RECEIVED)


def test_eleven_year_old_gets_no_warning(school):
    assert childs_view(new_case(school, subject_dob=date(2014, 11, 3), received_on=RECEIVED)) is None


def test_age_is_taken_on_the_day_received_not_today(school):
    # Eleven when the request came in, though twelve by now.
    assert (
        childs_view(new_case(school, subject_dob=date(2013, 12, 1), received_on=date(2025, 11, 30))) is None
    )


def test_scottish_school_presumes_a_child_of_twelve_competent(school):
    school.nation = Nation.SCOTLAND
    db.session.commit()
    view = childs_view(new_case(school, subject_dob=date(2011, 3, 12), received_on=RECEIVED))
    assert view is not None and (view.rule, view.age) == (ChildsRights.PRESUMED_COMPETENT, 15)


def test_former_pupil_of_eighteen_is_an_adult(school):
    view = childs_view(new_case(school, subject_dob=date(2008, 11, 2), received_on=RECEIVED))
    assert view is not None and (view.rule, view.age) == (ChildsRights.ADULT, 18)


@pytest.mark.parametrize(
    ("changes"),
    [
        {"requester_relationship": "self"},
        {"requester_relationship": "authorised_third_party"},
        {"subject_role": "staff"},
    ],
)
def test_rule_applies_only_to_a_parent_asking_about_a_pupil(school, changes):
    assert (
        childs_view(new_case(school, subject_dob=date(2010, 1, 1), received_on=RECEIVED, **changes)) is None
    )


def test_removed_date_of_birth_gives_no_rule(school):
    case = new_case(school, subject_dob=date(2010, 1, 1), received_on=RECEIVED)
    case.subject_dob = None
    assert childs_view(case) is None
