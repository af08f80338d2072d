"""The statutory clock (DESIGN §5): pure date rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cases import clock
from app.cases.clock import ClockError, ClockInputs, Pause, compute, due_date

D = date


@pytest.mark.parametrize(
    ("received", "extended", "expected"),
    [
        (D(2024, 9, 3), False, D(2024, 10, 3)),
        (D(2024, 1, 1), False, D(2024, 2, 1)),
        (D(2024, 11, 25), False, D(2024, 12, 27)),
        (D(2025, 1, 31), False, D(2025, 2, 28)),
        (D(2025, 1, 31), True, D(2025, 4, 30)),
    ],
)
def test_due_date_matches_ico_examples_in_england(received, extended, expected):
    assert due_date(received, "england", extended=extended) == expected


def test_due_date_rolls_past_christmas_naming_the_holidays():
    result = compute(ClockInputs(D(2024, 11, 25)))
    assert result.unrolled_due == D(2024, 12, 25)
    assert [name for _, name in result.rolled_over] == ["Christmas Day", "Boxing Day"]


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (D(2024, 1, 29), D(2024, 2, 29)),  # leap day exists in 2024
        (D(2024, 1, 31), D(2024, 2, 29)),  # clamped to the leap day
        (D(2023, 1, 30), D(2023, 2, 28)),  # clamped; a Tuesday, no roll
        (D(2023, 1, 31), D(2023, 2, 28)),
        (D(2024, 3, 31), D(2024, 4, 30)),  # April has 30 days
        (D(2024, 8, 31), D(2024, 9, 30)),
        (D(2024, 12, 31), D(2025, 1, 31)),  # across the year end
        (D(2024, 2, 29), D(2024, 4, 2)),  # 29 Mar: Good Friday, weekend, Easter Monday
    ],
)
def test_due_date_clamps_month_ends_and_leap_years(received, expected):
    assert due_date(received) == expected


def test_day_of_receipt_counts_even_on_a_weekend():
    assert due_date(D(2024, 9, 7)) == D(2024, 10, 7)  # Saturday → Monday


@pytest.mark.parametrize(
    ("received", "nation", "expected"),
    [
        (D(2024, 12, 2), "england", D(2025, 1, 2)),
        (D(2024, 12, 2), "scotland", D(2025, 1, 3)),  # 2 January
        (D(2024, 10, 30), "england", D(2024, 12, 2)),  # 30 Nov is a Saturday
        (D(2024, 10, 30), "scotland", D(2024, 12, 3)),  # St Andrew's Day observed on 2 Dec
        (D(2025, 2, 17), "england", D(2025, 3, 17)),
        (D(2025, 2, 17), "northern-ireland", D(2025, 3, 18)),  # St Patrick's Day
        (D(2024, 6, 12), "england", D(2024, 7, 12)),
        (D(2024, 6, 12), "northern-ireland", D(2024, 7, 15)),  # Battle of the Boyne (Friday)
        (D(2024, 7, 5), "england", D(2024, 8, 5)),
        (D(2024, 7, 5), "scotland", D(2024, 8, 6)),  # Scotland's summer bank holiday
        (D(2024, 7, 26), "england", D(2024, 8, 27)),  # England's late summer bank holiday
        (D(2024, 7, 26), "scotland", D(2024, 8, 26)),
        (D(2024, 7, 26), "wales", D(2024, 8, 27)),  # Wales shares England's list
        (D(2024, 2, 29), "scotland", D(2024, 4, 1)),  # no Easter Monday in Scotland
    ],
)
def test_due_date_uses_the_bank_holidays_of_the_nation(received, nation, expected):
    assert due_date(received, nation) == expected


def test_start_is_the_latest_of_received_identity_and_authority():
    inputs = ClockInputs(
        D(2024, 9, 3), identity_received_on=D(2024, 9, 10), authority_received_on=D(2024, 9, 5)
    )
    result = compute(inputs)
    assert result.start == D(2024, 9, 10)
    assert result.due == D(2024, 10, 10)


def test_fee_date_moves_the_start_only_where_a_fee_is_allowed():
    not_allowed = ClockInputs(D(2024, 9, 3), fee_received_on=D(2024, 9, 20))
    allowed = ClockInputs(D(2024, 9, 3), fee_received_on=D(2024, 9, 20), fee_allowed=True)
    assert compute(not_allowed).start == D(2024, 9, 3)
    assert compute(allowed).start == D(2024, 9, 20)


def test_pause_days_count_both_ends():
    assert Pause(D(2024, 11, 20), D(2024, 11, 22)).days() == {
        D(2024, 11, 20),
        D(2024, 11, 21),
        D(2024, 11, 22),
    }
    assert clock.paused_days((Pause(D(2024, 11, 20), D(2024, 11, 20)),)) == 1


def test_paused_days_are_added_before_rolling():
    result = compute(ClockInputs(D(2024, 11, 1), pauses=(Pause(D(2024, 11, 20), D(2024, 11, 22)),)))
    assert result.paused_days == 3
    assert result.due == D(2024, 12, 4)


def test_pause_across_a_weekend_counts_calendar_days():
    # Friday to Monday is four days; 3 Oct + 4 = 7 Oct (Monday).
    result = compute(ClockInputs(D(2024, 9, 3), pauses=(Pause(D(2024, 9, 13), D(2024, 9, 16)),)))
    assert result.paused_days == 4
    assert result.due == D(2024, 10, 7)


def test_pause_landing_on_a_holiday_rolls_to_the_next_working_day():
    # 25 Nov → 25 Dec, one paused day → 26 Dec (Boxing Day) → 27 Dec.
    result = compute(ClockInputs(D(2024, 11, 25), pauses=(Pause(D(2024, 12, 2), D(2024, 12, 2)),)))
    assert result.unrolled_due == D(2024, 12, 26)
    assert result.due == D(2024, 12, 27)


def test_pause_over_christmas_pushes_past_the_holidays():
    # Received 1 Dec 2024 → 1 Jan 2025; paused 20 Dec to 2 Jan (14 days) → 15 Jan 2025.
    result = compute(ClockInputs(D(2024, 12, 1), pauses=(Pause(D(2024, 12, 20), D(2025, 1, 2)),)))
    assert result.paused_days == 14
    assert result.due == D(2025, 1, 15)


def test_multiple_pauses_add_up_and_overlaps_count_once():
    two = (Pause(D(2024, 9, 5), D(2024, 9, 6)), Pause(D(2024, 9, 10), D(2024, 9, 12)))
    assert compute(ClockInputs(D(2024, 9, 3), pauses=two)).paused_days == 5
    overlapping = (Pause(D(2024, 9, 5), D(2024, 9, 8)), Pause(D(2024, 9, 7), D(2024, 9, 9)))
    assert compute(ClockInputs(D(2024, 9, 3), pauses=overlapping)).paused_days == 5


def test_open_pause_leaves_the_due_date_unknown():
    result = compute(
        ClockInputs(D(2024, 9, 3), pauses=(Pause(D(2024, 9, 5), D(2024, 9, 6)), Pause(D(2024, 9, 10))))
    )
    assert result.paused_now
    assert result.due is None and result.original_due is None and result.internal_target is None
    assert result.paused_days == 2
    assert result.reminder_date is None


def test_extension_with_pauses_adds_them_to_three_months():
    # 31 Jan 2025 + 3 months = 30 Apr; +3 paused = 3 May (Sat) → 5 May (May Day) → 6 May.
    result = compute(
        ClockInputs(D(2025, 1, 31), extended=True, pauses=(Pause(D(2025, 2, 3), D(2025, 2, 5)),))
    )
    assert result.due == D(2025, 5, 6)
    assert result.original_due == D(2025, 3, 3)  # 28 Feb + 3 = 3 Mar (Monday)


def test_internal_target_is_start_plus_calendar_days_and_drives_reminders_when_earlier():
    result = compute(ClockInputs(D(2024, 1, 1), internal_target_days=30))
    assert result.internal_target == D(2024, 1, 31)
    assert result.due == D(2024, 2, 1)
    assert result.reminder_date == D(2024, 1, 31)
    late = compute(ClockInputs(D(2025, 1, 31), internal_target_days=31))
    assert late.reminder_date == late.due == D(2025, 2, 28)


def test_internal_target_moves_with_pauses():
    result = compute(
        ClockInputs(D(2024, 1, 1), internal_target_days=30, pauses=(Pause(D(2024, 1, 3), D(2024, 1, 4)),))
    )
    assert result.internal_target == D(2024, 2, 2)


def test_days_left_counts_working_and_calendar_days():
    left = clock.days_left(D(2024, 12, 27), D(2024, 12, 20), "england")
    assert (left.working, left.calendar, left.overdue) == (3, 7, False)
    late = clock.days_left(D(2024, 12, 27), D(2024, 12, 30), "england")
    assert (late.working, late.calendar, late.overdue) == (-1, -3, True)
    assert clock.days_left(D(2024, 12, 27), D(2024, 12, 27), "england").working == 0


def test_add_working_days_skips_weekends_and_holidays():
    assert clock.add_working_days(D(2024, 12, 20), 3, "england") == D(2024, 12, 27)
    assert clock.add_working_days(D(2024, 12, 27), -3, "england") == D(2024, 12, 20)
    assert clock.add_working_days(D(2025, 1, 1), 1, "scotland") == D(2025, 1, 3)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2024, 12, 11), None),
        (D(2024, 12, 18), "7"),
        (D(2024, 12, 23), "3"),
        (D(2024, 12, 24), "1"),
        (D(2024, 12, 27), "1"),
        (D(2024, 12, 28), "overdue"),
    ],
)
def test_reminder_threshold_for_working_days_left(today, expected):
    assert clock.reminder_threshold(D(2024, 12, 27), today, "england") == expected


def test_pause_answered_before_asked_is_refused():
    with pytest.raises(ClockError, match="before it was asked"):
        Pause(D(2024, 9, 10), D(2024, 9, 9))


def test_unknown_nation_is_refused():
    with pytest.raises(ClockError, match="unknown nation"):
        ClockInputs(D(2024, 9, 3), nation="atlantis")


# --- properties ----------------------------------------------------------------

days = st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31))
nations = st.sampled_from(clock.NATIONS)


@settings(max_examples=300, deadline=None)
@given(received=days, nation=nations, extended=st.booleans(), pause_length=st.integers(0, 40))
def test_due_date_is_a_working_day_within_a_week_of_the_unrolled_date(
    received, nation, extended, pause_length
):
    pauses = (Pause(received, received + timedelta(days=pause_length - 1)),) if pause_length else ()
    result = compute(ClockInputs(received, nation=nation, extended=extended, pauses=pauses))
    assert result.due is not None and result.unrolled_due is not None
    assert clock.is_working_day(result.due, nation)
    assert 0 <= (result.due - result.unrolled_due).days < 7
    assert result.unrolled_due == clock.add_months(received, 3 if extended else 1) + timedelta(
        days=pause_length
    )
    assert result.original_due is not None and result.original_due <= result.due


@settings(max_examples=300, deadline=None)
@given(first=days, gap=st.integers(0, 60), nation=nations)
def test_due_date_never_moves_earlier_for_a_later_start(first, gap, nation):
    assert due_date(first, nation) <= due_date(first + timedelta(days=gap), nation)


@settings(max_examples=200, deadline=None)
@given(day=days, count=st.integers(0, 30), nation=nations)
def test_working_day_arithmetic_round_trips(day, count, nation):
    later = clock.add_working_days(day, count, nation)
    assert clock.working_days_between(day, later, nation) == count
