"""Attendance registers folded into one compact summary per academic year."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache
from typing import Any

from app.sources.items import academic_year_of
from app.sources.pupils.models import ATTENDANCE_CODES, SESSIONS_PER_WEEK, SLOT_WIDTH, AttendanceWeek

# Attending: present, late before the register closed, or at approved
# off-site education (DfE school attendance guidance, August 2024).
ATTENDING = frozenset({"/", "\\", "L", "K", "V", "P", "W", "B"})
# Sessions that do not count as possible: not of compulsory age, not yet on
# roll, planned closure, dual registration elsewhere, and "unable to attend"
# because of exceptional circumstances.
NOT_POSSIBLE = frozenset({"X", "Z", "#", "D", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7"})


def slot_codes(week: AttendanceWeek) -> list[str]:
    """The ten session codes of a week, Monday AM to Friday PM ("" for none)."""
    return list(_codes(week.slots))


@lru_cache(maxsize=4096)
def _codes(slots: str) -> tuple[str, ...]:
    # Most weeks of a register repeat a handful of patterns (a full week
    # present above all), so each distinct one is split only once.
    return tuple(slots[i * SLOT_WIDTH : (i + 1) * SLOT_WIDTH].rstrip() for i in range(SESSIONS_PER_WEEK))


def year_of_week(week: AttendanceWeek) -> str:
    # A week is filed under the year its Friday falls in, so a term starting
    # midweek in early September is not split off into the previous year.
    return academic_year_of(week.week_start + timedelta(days=4))


def year_summaries(weeks: Iterable[AttendanceWeek]) -> dict[str, dict[str, Any]]:
    """``{"2024/2025": {...}}`` for one pupil's weeks, in week order."""
    years: dict[str, list[AttendanceWeek]] = {}
    for week in sorted(weeks, key=lambda w: w.week_start):
        years.setdefault(year_of_week(week), []).append(week)
    return {year: _summary(year, year_weeks) for year, year_weeks in years.items()}


def _summary(year: str, weeks: list[AttendanceWeek]) -> dict[str, Any]:
    rows = [{"week_start": week.week_start.isoformat(), "sessions": slot_codes(week)} for week in weeks]
    counts: Counter[str] = Counter()
    for slots, times in Counter(week.slots for week in weeks).items():
        for code in _codes(slots):
            if code:
                counts[code] += times
    possible = sum(n for code, n in counts.items() if code not in NOT_POSSIBLE)
    attended = sum(n for code, n in counts.items() if code in ATTENDING)
    return {
        "academic_year": year,
        "session_order": "Mon AM, Mon PM, Tue AM, Tue PM, Wed AM, Wed PM, Thu AM, Thu PM, Fri AM, Fri PM",
        "weeks": rows,
        "code_counts": dict(sorted(counts.items())),
        "code_meanings": {
            code: ATTENDANCE_CODES[code] for code in sorted(counts) if code in ATTENDANCE_CODES
        },
        "sessions_recorded": sum(counts.values()),
        "sessions_possible": possible,
        "sessions_attended": attended,
        "attendance_percent": round(100 * attended / possible, 1) if possible else None,
    }
