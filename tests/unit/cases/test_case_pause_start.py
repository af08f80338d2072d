"""A pause stops a clock that runs: it cannot be dated before the clock's
start, nor asked before the clock starts, and days before the start never
count, in the service, the clock and ``flask clock due``."""

from __future__ import annotations

from datetime import date

import pytest

from app.cases import clock, clock_changes, identity
from app.cases.clock_inputs import clock_for
from app.cases.lifecycle import IllegalTransition
from app.sources.validation import FieldError
from tests.unit.cases.factory import new_case


def _started_23_november(school, caseworker):
    case = new_case(school, received_on=date(2026, 10, 31), requester_relationship="self")
    identity.decide_identity(
        case,
        caseworker,
        accepted=True,
        method="documents_seen",
        reason="Passport brought in.",
        identity_received_on=date(2026, 11, 23),
        today=date(2026, 11, 25),
    )
    assert clock_for(case).start == date(2026, 11, 23) and case.due_on == date(2026, 12, 23)
    return case


def test_pause_asked_before_the_clock_started_is_refused(school, caseworker, db_session):
    case = _started_23_november(school, caseworker)
    with pytest.raises(FieldError) as error:
        clock_changes.pause(
            case,
            caseworker,
            reason="clarify_scope",
            question="Which years?",
            asked_on=date(2026, 11, 1),
            today=date(2026, 11, 25),
        )
    assert error.value.field == "asked_on" and "23 November 2026" in error.value.message
    clock_changes.pause(
        case,
        caseworker,
        reason="clarify_scope",
        question="Which years?",
        asked_on=date(2026, 11, 23),
        today=date(2026, 11, 25),
    )
    clock_changes.resume(case, caseworker, answered_on=date(2026, 11, 25), today=date(2026, 11, 25))
    assert clock_for(case).paused_days == 3 and case.due_on == date(2026, 12, 29)


def test_pause_while_awaiting_identity_is_refused_as_the_clock_has_not_started(
    school, caseworker, db_session
):
    case = new_case(school, received_on=date(2026, 10, 31))
    with pytest.raises(IllegalTransition, match="the clock has not started"):
        clock_changes.pause(
            case,
            caseworker,
            reason="other",
            question="?",
            asked_on=date(2026, 11, 2),
            today=date(2026, 11, 3),
        )


def test_paused_days_count_only_from_the_clock_start():
    inputs = clock.ClockInputs(
        received_on=date(2026, 10, 31),
        identity_received_on=date(2026, 11, 23),
        pauses=(clock.Pause(date(2026, 11, 1), date(2026, 11, 25)),),
    )
    result = clock.compute(inputs)
    assert result.paused_days == 3  # 23, 24 and 25 November
    assert result.due == date(2026, 12, 29)  # 26 Dec, then the weekend and Boxing Day (observed)
    before = clock.ClockInputs(
        received_on=date(2026, 3, 2), pauses=(clock.Pause(date(2026, 2, 20), date(2026, 2, 25)),)
    )
    assert clock.compute(before).paused_days == 0 and clock.compute(before).due == date(2026, 4, 2)


def test_clock_due_ignores_the_days_of_a_pause_before_receipt(app):
    result = app.test_cli_runner().invoke(
        args=["clock", "due", "2026-03-02", "--paused", "2026-02-20:2026-02-25"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == "2026-04-02" and "paused days: 0" in lines
    assert "pause 2026-02-20:2026-02-25 counted only from the start" in lines
