"""An extension must be told to the requester, with reasons, within the
month (Art 12(3)): the notice is emailed when it is recorded, so it is
refused once the original due date has passed, and cannot be dated back."""

from __future__ import annotations

from datetime import date

import pytest

from app.cases import clock_changes
from app.sources.validation import FieldError
from tests.unit.cases.factory import opened_case

RECEIVED = date(2026, 10, 11)  # a Sunday; due Wednesday 11 November 2026


def test_extend_after_the_original_due_date_is_refused_even_with_a_backdated_notice(
    school, caseworker, db_session
):
    case = opened_case(school, caseworker, received_on=RECEIVED)
    assert case.due_on == date(2026, 11, 11)
    for notice_on in (date(2026, 11, 11), None):
        with pytest.raises(FieldError) as error:
            clock_changes.extend(
                case, caseworker, reason="complex", notice_on=notice_on, today=date(2026, 11, 25)
            )
        assert error.value.field == "notice_on"
        assert (
            "11 November 2026" in error.value.message and "can no longer be extended" in error.value.message
        )
    assert case.extended_on is None and case.due_on == date(2026, 11, 11)


def test_extend_on_the_original_due_date_is_allowed_and_dated_that_day(school, caseworker, db_session):
    case = opened_case(school, caseworker, received_on=RECEIVED)
    clock_changes.extend(case, caseworker, reason="complex", today=date(2026, 11, 11))
    assert case.extension_notice_sent_on == date(2026, 11, 11)
    assert case.due_on == date(2027, 1, 11)


def test_extend_with_a_notice_date_other_than_today_is_refused(school, caseworker, db_session):
    case = opened_case(school, caseworker, received_on=RECEIVED)
    with pytest.raises(FieldError) as error:
        clock_changes.extend(
            case, caseworker, reason="complex", notice_on=date(2026, 10, 20), today=date(2026, 10, 25)
        )
    assert error.value.field == "notice_on" and error.value.message == clock_changes.NOTICE_GOES_TODAY
    clock_changes.extend(
        case, caseworker, reason="complex", notice_on=date(2026, 10, 25), today=date(2026, 10, 25)
    )
    assert case.extension_notice_sent_on == date(2026, 10, 25)
