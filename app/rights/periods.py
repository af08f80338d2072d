"""Retention periods as dates: when a record's period ends, and the cut-off
date the sweeper compares anchors with.

The rule, for every retention rule: a record whose period ends on day D (its
*due date*) is kept by a sweep run as of D - 1 and swept by a run as of D or
any later day. "The day of" is in.

- ``months`` / ``years``: D is the anchor plus the period, calendar
  arithmetic, clamped to the end of a shorter month (31 August + 6 months is
  28 or 29 February; 29 February + 1 year is 28 February).
- ``academic_years``: academic years run 1 September to 31 August, in every
  nation (a Scottish term that starts in mid-August is still counted with
  the year whose September follows). D is 31 August at the end of the n-th
  academic year *after* the one the anchor falls in. A pupil leaving on
  20 July 2024 (academic year 2023/24) with n = 2 is kept through 2024/25 and
  2025/26 and swept from 31 August 2026; leaving on 2 September 2024
  (2024/25) moves that to 31 August 2027. So the record is always kept for at
  least n whole years after the anchor.
- A period of zero: the rule follows another record's end with no time of
  its own (the access log goes with the records it refers to). D is the
  anchor itself; for academic years, the 31 August that ends its year.

SQL never does date arithmetic: ``cutoff`` turns the run's ``as_of`` into
the latest anchor that is due, and the predicate is ``anchor <= cutoff``,
with the cut-off a bound parameter. That is portable between SQLite and
PostgreSQL and lets PostgreSQL use indexes on the anchor columns.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta

from app.rights.models import PeriodUnit

ACADEMIC_YEAR_END = (8, 31)  # month, day


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` (negative: back), clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def academic_year_start(day: date) -> int:
    """The calendar year in which ``day``'s academic year began."""
    return day.year if (day.month, day.day) > ACADEMIC_YEAR_END else day.year - 1


def due_date(anchor: date, count: int, unit: PeriodUnit) -> date:
    """The day ``anchor``'s retention period ends: swept from this day on."""
    if count < 0:
        raise ValueError(f"period: {count} is a negative number of {unit.value}")
    if unit is PeriodUnit.MONTHS:
        return add_months(anchor, count)
    if unit is PeriodUnit.YEARS:
        return add_months(anchor, 12 * count)
    return date(academic_year_start(anchor) + count + 1, *ACADEMIC_YEAR_END)


def cutoff(as_of: date, count: int, unit: PeriodUnit) -> date:
    """The latest anchor that is due on ``as_of``: ``due_date(a) <= as_of``
    exactly when ``a <= cutoff(as_of)`` (``due_date`` never decreases as the
    anchor grows, so the due anchors are everything up to one day)."""
    if count < 0:
        raise ValueError(f"period: {count} is a negative number of {unit.value}")
    if unit is PeriodUnit.ACADEMIC_YEARS:
        # The last 31 August on or before as_of ends academic year `ended`;
        # anchors in academic years up to ended - count - 1 are due.
        ended = as_of.year if (as_of.month, as_of.day) >= ACADEMIC_YEAR_END else as_of.year - 1
        return date(ended - count, *ACADEMIC_YEAR_END)
    months = count if unit is PeriodUnit.MONTHS else 12 * count
    candidate = add_months(as_of, -months)
    # Clamping maps several anchors (29, 30, 31 August + 6 months) to one due
    # date, so step over the ones the subtraction left behind; at most three.
    while add_months(candidate + timedelta(days=1), months) <= as_of:
        candidate += timedelta(days=1)
    while add_months(candidate, months) > as_of:  # pragma: no cover - defensive
        candidate -= timedelta(days=1)
    return candidate


def start_of_day_after(day: date) -> datetime:
    """For timestamp anchors: a UTC timestamp falls on or before ``day`` (in
    UTC) exactly when it is earlier than this."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
