"""Dashboard figures and the request register: answer dates from the
timeline, on time against the clock's due date, scoped to the user."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update

from app.accounts.models import Role
from app.cases import lifecycle
from app.cases.models import CaseEvent, CaseStatus
from app.extensions import db
from app.reports.export import register_csv, safe_cell
from app.reports.services import Filters, RegisterRow, dashboard_from, request_register
from tests.signin import make_organisation, make_user
from tests.unit.cases.factory import opened_case

TODAY = date(2026, 11, 23)  # a Monday


def _row(**overrides) -> RegisterRow:
    values = {
        "id": uuid.uuid4(),
        "reference": "SAR-2026-000001",
        "organisation_name": "Elm Primary",
        "request_type": "access",
        "status": "open",
        "received_on": date(2026, 11, 1),
        "start_on": date(2026, 11, 1),
        "due_on": TODAY,
        "extended_on": None,
        "paused_days": 0,
        "answered_on": None,
        "outcome": "open",
        "on_time": None,
        "sources_searched": 0,
    }
    values.update(overrides)
    return RegisterRow(**values)


@pytest.mark.parametrize(
    ("due", "bucket"),
    [
        (TODAY - timedelta(days=1), "overdue"),
        (TODAY, "week"),
        (TODAY + timedelta(days=6), "week"),
        (TODAY + timedelta(days=7), None),
    ],
)
def test_due_this_week_and_overdue_at_their_boundaries(due, bucket):
    figures = dashboard_from([_row(due_on=due)], TODAY)
    assert (len(figures.overdue), len(figures.due_this_week)) == {
        "overdue": (1, 0),
        "week": (0, 1),
        None: (0, 0),
    }[bucket]


def test_answered_and_ended_cases_are_neither_open_nor_overdue():
    rows = [
        _row(
            status="responded",
            answered_on=TODAY - timedelta(days=3),
            on_time=False,
            due_on=TODAY - timedelta(days=5),
        ),
        _row(status="withdrawn", due_on=TODAY - timedelta(days=5)),
        _row(status="paused", due_on=None),
    ]
    figures = dashboard_from(rows, TODAY)
    assert figures.overdue == [] and figures.open_by_status == [("paused", 1)]


def test_on_time_rate_counts_answers_in_their_month():
    rows = [
        _row(status="responded", answered_on=date(2026, 10, 3), on_time=True),
        _row(status="refused", answered_on=date(2026, 10, 30), on_time=False),
        _row(status="responded", answered_on=date(2026, 11, 2), on_time=True),
    ]
    months = {m.month: m for m in dashboard_from(rows, TODAY).on_time_by_month}
    assert len(months) == 12 and min(months) == date(2025, 12, 1)
    assert (months[date(2026, 10, 1)].answered, months[date(2026, 10, 1)].on_time) == (2, 1)
    assert months[date(2026, 10, 1)].rate == 0.5 and months[date(2026, 11, 1)].rate == 1.0
    assert months[date(2026, 9, 1)].rate is None


@pytest.fixture
def schools(db_session):
    elm, oak = make_organisation("Elm Primary"), make_organisation("Oak Primary")
    worker, _ = make_user("worker@example.org", Role.CASEWORKER, with_totp=False)
    return elm, oak, worker


def _answer(case, actor, on: date, to=CaseStatus.RESPONDED):
    for step in (CaseStatus.GATHERING, CaseStatus.IN_REVIEW, CaseStatus.APPROVED):
        lifecycle.move(case, step, actor)
    event = lifecycle.move(case, to, actor)
    db.session.flush()
    at = datetime(on.year, on.month, on.day, 12, tzinfo=event.at.tzinfo)
    db.session.execute(update(CaseEvent).where(CaseEvent.id == event.id).values(at=at))


def test_register_rows_carry_clock_answer_and_outcome(app, schools):
    elm, oak, worker = schools
    late = opened_case(elm, worker, received_on=date(2026, 6, 1), requester_email="late@example.net")
    _answer(late, worker, date(2026, 9, 1))
    prompt = opened_case(oak, worker, received_on=date(2026, 10, 1), requester_email="prompt@example.net")
    _answer(prompt, worker, date(2026, 10, 15))
    running = opened_case(elm, worker, received_on=date(2026, 11, 2), requester_email="open@example.net")
    db.session.commit()
    rows = {row.reference: row for row in request_register(worker)}
    assert rows[late.reference].on_time is False and rows[late.reference].answered_on == date(2026, 9, 1)
    assert rows[late.reference].due_on == date(2026, 7, 1) and rows[late.reference].outcome == "responded"
    assert rows[prompt.reference].on_time is True
    assert rows[running.reference].on_time is None and rows[running.reference].outcome == "open"
    assert [r.reference for r in request_register(worker, Filters(on_time=False))] == [late.reference]
    assert {r.reference for r in request_register(worker, Filters(received_from=date(2026, 10, 1)))} == {
        prompt.reference,
        running.reference,
    }


def test_register_is_scoped_to_a_school_users_organisation(app, schools):
    elm, oak, worker = schools
    opened_case(elm, worker, requester_email="a@example.net")
    opened_case(oak, worker, requester_email="b@example.net")
    db.session.commit()
    school_user, _ = make_user("office@elm.example", Role.SCHOOL, elm, with_totp=False)
    assert {r.organisation_name for r in request_register(school_user)} == {"Elm Primary"}
    assert len(request_register(worker)) == 2


def test_csv_neutralises_formulas_and_writes_every_column():
    rows = [_row(organisation_name="=HYPERLINK(\"http://evil\")", on_time=True, answered_on=TODAY)]
    text = register_csv(rows)
    header, line = text.splitlines()[:2]
    assert header.startswith("Reference,Organisation,Request type")
    assert "'=HYPERLINK" in line and ",yes," in line
    assert safe_cell("-1") == "'-1" and safe_cell(None) == "" and safe_cell(date(2026, 1, 2)) == "2026-01-02"
