"""The clock counts UK calendar days: "today" is the date in Europe/London
(BST in summer, GMT in winter), while timestamps stay in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.cases import clock_changes, services
from app.cases.services import uk_today
from tests.unit.cases.factory import new_case, opened_case


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), date(2026, 7, 1)),  # 00:30 BST on 1 July
        (datetime(2026, 6, 30, 22, 59, tzinfo=UTC), date(2026, 6, 30)),  # 23:59 BST
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2026, 12, 31)),  # 23:30 GMT
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), date(2027, 1, 1)),  # midnight GMT
    ],
)
def test_uk_today_is_the_london_calendar_day_at_bst_and_gmt_midnights(moment, day):
    assert uk_today(moment) == day


def test_request_sent_after_midnight_bst_is_received_that_uk_day(school, db_session, monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    case = new_case(school, received_on=None)
    assert case.received_on == date(2026, 7, 1)
    assert case.created_at == datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # timestamps stay in UTC


def test_request_sent_before_midnight_gmt_is_received_that_uk_day(school, db_session, monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    case = new_case(school, received_on=None)
    assert case.received_on == date(2026, 12, 31)


def test_question_sent_after_midnight_bst_is_dated_that_uk_day(school, caseworker, db_session, monkeypatch):
    case = opened_case(school, caseworker, received_on=date(2026, 6, 1))
    monkeypatch.setattr(services, "utcnow", lambda: datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    pause = clock_changes.pause(case, caseworker, reason="clarify_scope", question="Which years?")
    assert pause.asked_on == date(2026, 7, 1)
