"""Register weeks for one pupil, drawn from pre-built pools of week patterns.

A million pupils with a school year each is about forty million weeks, so a
week costs one random draw from a pool of 1,024 ready-made slot strings for
the pupil's attendance profile. Only the few weeks with closures, holidays or
an enrolment boundary are spliced.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date

from app.demo.calendar import NO_SESSION, SchoolCalendar, Week
from app.demo.draw import Weighted

POOL_BITS = 10
PRESENT_DAY = ("/ ", "\\ ")

# Per open day: chance of each kind of day; illness tends to run on.
_PROFILES: dict[str, dict[str, float]] = {
    "regular": {"ill": 0.014, "ill_again": 0.3, "medical": 0.006, "late": 0.01, "after_close": 0.002,
                "unexplained": 0.001, "unauthorised": 0.001, "visit": 0.004, "religious": 0.001},
    "typical": {"ill": 0.035, "ill_again": 0.45, "medical": 0.012, "late": 0.03, "after_close": 0.006,
                "unexplained": 0.006, "unauthorised": 0.012, "visit": 0.004, "religious": 0.002},
    "persistent": {"ill": 0.08, "ill_again": 0.55, "medical": 0.015, "late": 0.06, "after_close": 0.02,
                   "unexplained": 0.03, "unauthorised": 0.06, "visit": 0.003, "suspended": 0.004},
}
PROFILE_WEIGHTS = Weighted((("regular", 70.0), ("typical", 21.0), ("persistent", 9.0)))


def _day(rng: random.Random, p: dict[str, float], ill_yesterday: bool) -> tuple[str, str, bool]:
    if rng.random() < (p["ill_again"] if ill_yesterday else p["ill"]):
        return "I ", "I ", True
    roll = rng.random()
    for kind, am, pm in (
        ("medical", "M ", "\\ "),
        ("late", "L ", "\\ "),
        ("after_close", "U ", "\\ "),
        ("unexplained", "N ", "N "),
        ("unauthorised", "O ", "O "),
        ("visit", "V ", "V "),
        ("religious", "R ", "R "),
        ("suspended", "E ", "E "),
    ):
        chance = p.get(kind, 0.0)
        if roll < chance:
            if kind == "medical" and rng.random() < 0.5:
                return "/ ", "M ", False
            return am, pm, False
        roll -= chance
    if rng.random() < 0.01:
        return "/ ", "P ", False  # afternoon fixture
    return PRESENT_DAY[0], PRESENT_DAY[1], False


def build_pools(rng: random.Random) -> dict[str, tuple[str, ...]]:
    """Week patterns per profile, plus part-time patterns for nursery children."""
    pools: dict[str, tuple[str, ...]] = {}
    size = 1 << POOL_BITS
    for name, p in _PROFILES.items():
        weeks = []
        for _ in range(size):
            ill = False
            parts = []
            for _day_index in range(5):
                am, pm, ill = _day(rng, p, ill)
                parts += [am, pm]
            weeks.append("".join(parts))
        pools[name] = tuple(weeks)
    # Nursery children below compulsory school age: a morning place (code X
    # for the afternoons they are not expected) or a full-time place.
    nursery = []
    for _ in range(size):
        full_time = rng.random() < 0.4
        parts = []
        for _day_index in range(5):
            am = "I " if rng.random() < 0.04 else "/ "
            pm = ("I " if am == "I " else "\\ ") if full_time else "X "
            parts += [am, pm]
        nursery.append("".join(parts))
    pools["nursery"] = tuple(nursery)
    return pools


HOLIDAY_WEEK = "G " * 10  # term-time holiday the school did not agree to


@dataclass(frozen=True)
class WeekPlan:
    """One calendar's register weeks, each with the pool to draw it from:
    weeks with closures or holidays get a pool with those already applied."""

    calendar: SchoolCalendar
    items: tuple[tuple[str, tuple[str, ...]], ...]  # (week start ISO, pool)
    starts: tuple[int, ...]  # Monday of each week, as an ordinal
    ends: tuple[int, ...]  # Friday of each week, as an ordinal


class WeekPools:
    def __init__(self, rng: random.Random) -> None:
        self.base = build_pools(rng)
        self._spliced: dict[tuple[tuple[str | None, ...], str], tuple[str, ...]] = {}
        self._plans: dict[tuple[int, str], WeekPlan] = {}

    def plan(self, calendar: SchoolCalendar, profile: str) -> WeekPlan:
        key = (id(calendar), profile)
        found = self._plans.get(key)
        if found is None or found.calendar is not calendar:
            items = tuple((week.iso, self._pool(week.fixed, profile)) for week in calendar.weeks)
            starts = tuple(week.start.toordinal() for week in calendar.weeks)
            found = WeekPlan(calendar, items, starts, tuple(start + 4 for start in starts))
            self._plans[key] = found
        return found

    def _pool(self, fixed: tuple[str | None, ...] | None, profile: str) -> tuple[str, ...]:
        base = self.base[profile]
        if fixed is None:
            return base
        pool = self._spliced.get((fixed, profile))
        if pool is None:
            pool = tuple(
                "".join(slots[i * 2:i * 2 + 2] if f is None else f for i, f in enumerate(fixed))
                for slots in base
            )
            self._spliced[(fixed, profile)] = pool
        return pool


def pupil_weeks(
    plan: WeekPlan, first: date, last: date, rng: random.Random, holiday_week: bool = False
) -> list[tuple[str, str]]:
    """``(week start ISO, slots)`` for the weeks the pupil was on roll in
    ``first``..``last``; sessions outside that span stay empty."""
    first_day, last_day = first.toordinal(), last.toordinal()
    lo = bisect_left(plan.ends, first_day)
    hi = bisect_right(plan.starts, last_day)
    if lo >= hi:
        return []
    bits = rng.getrandbits
    out = [(iso, pool[bits(POOL_BITS)]) for iso, pool in plan.items[lo:hi]]
    weeks = plan.calendar.weeks
    if holiday_week:
        index = int(rng.random() * len(out))
        if weeks[lo + index].fixed is None:
            out[index] = (out[index][0], HOLIDAY_WEEK)
    # Only the weeks the pupil joined or left in need cutting to the enrolment.
    if plan.ends[hi - 1] > last_day:
        out[-1] = (out[-1][0], _splice(weeks[hi - 1], out[-1][1], first, last))
    if plan.starts[lo] < first_day:
        out[0] = (out[0][0], _splice(weeks[lo], out[0][1], first, last))
    return [week for week in out if week[1].strip()]


def _splice(week: Week, slots: str, first: date, last: date) -> str:
    parts = []
    for index in range(10):
        day = week.day(index // 2)
        if day < first or day > last:
            parts.append(NO_SESSION)
        else:
            parts.append(slots[index * 2:index * 2 + 2])
    return "".join(parts)
