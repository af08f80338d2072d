"""School terms, closures and register weeks, per nation.

Terms follow each nation's usual pattern (England and Wales: early September
to late July with three half-terms; Scotland: mid-August to late June;
Northern Ireland: September to the end of June). Bank holidays come from the
``holidays`` package. A school also closes for five staff training (INSET)
days a year; which days depends on the school's calendar variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays
from dateutil.easter import easter

SUBDIVISIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern-ireland": "NIR"}
INSET_VARIANTS = 4

OPEN = None  # a session the pupil's own pattern fills
CLOSED = "# "  # planned whole-school closure (DfE code #)
NO_SESSION = "  "  # school holiday, before the window, or not yet happened


def academic_year_of(day: date) -> int:
    """The calendar year in which ``day``'s academic year (September to August) began."""
    return day.year if day.month >= 9 else day.year - 1


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


def _weekday_on_or_before(day: date) -> date:
    while day.weekday() > 4:
        day -= timedelta(days=1)
    return day


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _friday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() - 4) % 7)


@dataclass(frozen=True)
class AcademicYear:
    terms: tuple[tuple[date, date], ...]  # first and last day, half-terms included
    breaks: tuple[tuple[date, date], ...]  # half-terms and other breaks inside a term
    inset_candidates: tuple[date, ...]  # days a school commonly closes for training

    def first_day(self) -> date:
        return self.terms[0][0]

    def last_day(self) -> date:
        return self.terms[-1][1]


@cache
def academic_year(nation: str, start_year: int) -> AcademicYear:
    a, b = start_year, start_year + 1
    easter_sunday = easter(b)
    easter_break = (easter_sunday - timedelta(days=6), easter_sunday + timedelta(days=5))
    if nation == "scotland":
        autumn = (_monday_on_or_after(date(a, 8, 14)), _friday_on_or_before(date(a, 12, 22)))
        october = _monday_on_or_after(date(a, 10, 10))
        february = _monday_on_or_after(date(b, 2, 12))
        breaks = ((october, october + timedelta(days=4)), (february, february + timedelta(days=1)))
        summer_end = _weekday_on_or_before(date(b, 6, 27))
        spring_start = _weekday_on_or_after(date(b, 1, 6))
    elif nation == "northern-ireland":
        autumn = (_weekday_on_or_after(date(a, 9, 1)), _friday_on_or_before(date(a, 12, 21)))
        halloween = _monday_of(date(a, 10, 29))
        february = _monday_on_or_after(date(b, 2, 12))
        breaks = ((halloween, halloween + timedelta(days=4)), (february, february + timedelta(days=2)))
        summer_end = _weekday_on_or_before(date(b, 6, 30))
        spring_start = _weekday_on_or_after(date(b, 1, 3))
    else:
        autumn = (_weekday_on_or_after(date(a, 9, 1)), _friday_on_or_before(date(a, 12, 20)))
        october = _monday_of(date(a, 10, 31) - timedelta(days=4))
        february = _monday_on_or_after(date(b, 2, 12))
        may = _monday_of(date(b, 5, 31))
        breaks = (
            (october, october + timedelta(days=4)),
            (february, february + timedelta(days=4)),
            (may, may + timedelta(days=4)),
        )
        summer_end = _weekday_on_or_before(date(b, 7, 20 if nation == "wales" else 22))
        spring_start = _monday_on_or_after(date(b, 1, 3))
    spring = (spring_start, easter_break[0] - timedelta(days=3))
    summer = (easter_break[1] + timedelta(days=3), summer_end)
    candidates = (
        autumn[0],
        autumn[0] + timedelta(days=1),
        spring[0],
        summer[0],
        summer[1],
        _friday_on_or_before(breaks[0][0] - timedelta(days=1)),
        breaks[1][1] + timedelta(days=3),
    )
    return AcademicYear(
        terms=(autumn, spring, summer),
        breaks=breaks,
        inset_candidates=tuple(_weekday_on_or_after(day) for day in candidates),
    )


@cache
def bank_holidays(nation: str, years: tuple[int, ...]) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=SUBDIVISIONS[nation], years=list(years)))


@dataclass(frozen=True)
class Week:
    start: date
    iso: str
    # Ten slots, Monday AM to Friday PM: OPEN, CLOSED or NO_SESSION. ``None``
    # for a plain week of ten open sessions, the common case.
    fixed: tuple[str | None, ...] | None

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)


@dataclass(frozen=True)
class SchoolCalendar:
    nation: str
    weeks: tuple[Week, ...]
    open_days: frozenset[date]
    closures: frozenset[date]

    def is_open(self, day: date) -> bool:
        return day in self.open_days


@cache
def school_calendar(nation: str, variant: int, window_start: date, window_end: date) -> SchoolCalendar:
    """Register weeks from ``window_start`` to ``window_end`` for one kind of school.

    Schools share a calendar when they share a nation and an INSET variant, so
    a few calendars serve thousands of schools.
    """
    years = range(academic_year_of(window_start) - 1, academic_year_of(window_end) + 2)
    bank = bank_holidays(nation, tuple(range(years.start, years.stop + 1)))
    open_days: set[date] = set()
    closures: set[date] = set()
    for year in years:
        calendar = academic_year(nation, year)
        inset = {calendar.inset_candidates[(variant + step) % len(calendar.inset_candidates)]
                 for step in (0, 2, 3, 4, 6)}
        for first, last in calendar.terms:
            day = first
            while day <= last:
                if day.weekday() < 5 and not any(lo <= day <= hi for lo, hi in calendar.breaks):
                    (closures if day in inset or day in bank else open_days).add(day)
                day += timedelta(days=1)
    weeks = []
    monday = _monday_of(window_start)
    while monday <= window_end:
        slots: list[str | None] = []
        for offset in range(5):
            day = monday + timedelta(days=offset)
            if day < window_start or day > window_end:
                state = NO_SESSION
            elif day in open_days:
                state = OPEN
            elif day in closures:
                state = CLOSED
            else:
                state = NO_SESSION
            slots += [state, state]
        if any(slot is OPEN or slot == CLOSED for slot in slots):
            plain = all(slot is OPEN for slot in slots)
            weeks.append(Week(monday, monday.isoformat(), None if plain else tuple(slots)))
        monday += timedelta(days=7)
    return SchoolCalendar(nation, tuple(weeks), frozenset(open_days), frozenset(closures))


# National curriculum year groups and their offset from Reception.
YEAR_GROUPS = ("N1", "N2", "R", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13")


def group_offset(group: str) -> int:
    return YEAR_GROUPS.index(group) - 2


def group_label(offset: int) -> str:
    return YEAR_GROUPS[offset + 2]


def birth_range(offset: int, academic_start_year: int) -> tuple[date, date]:
    """Dates of birth for a year group: a child starts Reception in the
    September after their fourth birthday."""
    first = date(academic_start_year - 5 - offset, 9, 1)
    return first, date(first.year + 1, 8, 31)


def first_day_of_year(nation: str, start_year: int) -> date:
    return academic_year(nation, start_year).first_day()


def last_day_of_year(nation: str, start_year: int) -> date:
    return academic_year(nation, start_year).last_day()
