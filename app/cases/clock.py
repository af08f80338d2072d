"""The statutory clock (UK GDPR Art 12(3); ICO guidance), as pure functions
over dates: no database, no Flask. Everything else asks this module.

- ``start`` is the latest of the day received, the day identity information
  arrived, the day proof of authority arrived and (only where a fee is
  allowed) the day the fee arrived. The day of receipt is day one.
- ``due`` is the same calendar date in the next month (clamped to that
  month's last day), plus the paused days, then moved past weekends and the
  bank holidays of the organisation's nation.
- An extension makes it three months instead of one, on the same rules.
- A pause counts every day from the question to the answer, both included,
  but only from the clock's start: days before it were never on the clock.
  While a pause is open the due date is unknown: the clock is stopped.
- The internal target (the organisation's own promise, in calendar days) is
  shown beside the statutory date; the earlier of the two drives reminders.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

# England and Wales share one list of bank holidays; the ``holidays`` package
# subdivisions are ISO 3166-2:GB codes.
NATION_SUBDIVISIONS: dict[str, str] = {
    "england": "ENG",
    "wales": "ENG",
    "scotland": "SCT",
    "northern-ireland": "NIR",
}
NATIONS = tuple(NATION_SUBDIVISIONS)
# Working days before the reminder date at which reminders go out.
REMINDER_THRESHOLDS = (7, 3, 1)


class ClockError(ValueError):
    """Inputs the clock cannot work with (e.g. a pause answered before it was asked)."""


@dataclass(frozen=True)
class Pause:
    """A clarification question: asked on one day, answered on another (or not yet)."""

    asked_on: date
    answered_on: date | None = None

    def __post_init__(self) -> None:
        if self.answered_on is not None and self.answered_on < self.asked_on:
            raise ClockError(
                f"a pause cannot be answered ({self.answered_on}) before it was asked ({self.asked_on})"
            )

    @property
    def is_open(self) -> bool:
        return self.answered_on is None

    def days(self) -> set[date]:
        if self.answered_on is None:
            return set()
        length = (self.answered_on - self.asked_on).days + 1
        return {self.asked_on + timedelta(days=offset) for offset in range(length)}


@dataclass(frozen=True)
class ClockInputs:
    received_on: date
    nation: str = "england"
    identity_received_on: date | None = None
    authority_received_on: date | None = None
    fee_received_on: date | None = None
    # A fee is allowed only for manifestly unfounded/excessive or repeat
    # requests; otherwise the day a fee arrived never moves the start.
    fee_allowed: bool = False
    pauses: tuple[Pause, ...] = ()
    extended: bool = False
    internal_target_days: int | None = None

    def __post_init__(self) -> None:
        if self.nation not in NATION_SUBDIVISIONS:
            raise ClockError(f"unknown nation {self.nation!r}; use one of {', '.join(NATIONS)}")


@dataclass(frozen=True)
class ClockResult:
    start: date
    paused_days: int
    paused_now: bool
    extended: bool
    # The one-month date, before any extension (the extension notice must go before it).
    original_due: date | None
    due: date | None
    unrolled_due: date | None
    # Non-working days the due date was moved past, with their names.
    rolled_over: tuple[tuple[date, str], ...] = field(default=())
    internal_target: date | None = None

    @property
    def reminder_date(self) -> date | None:
        """The earlier of the statutory due date and the internal target."""
        candidates = [day for day in (self.due, self.internal_target) if day is not None]
        return min(candidates) if candidates else None


# --- calendar arithmetic ------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same calendar date ``months`` later, or that month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@lru_cache(maxsize=256)
def _holidays_for(nation: str, year: int) -> dict[date, str]:
    subdivision = NATION_SUBDIVISIONS[nation]
    return dict(holidays.country_holidays("GB", subdiv=subdivision, years=[year]).items())


def bank_holiday(day: date, nation: str) -> str | None:
    """The bank holiday's name, or None."""
    if nation not in NATION_SUBDIVISIONS:
        raise ClockError(f"unknown nation {nation!r}")
    return _holidays_for(nation, day.year).get(day)


def is_working_day(day: date, nation: str) -> bool:
    return day.weekday() < 5 and bank_holiday(day, nation) is None


def non_working_reason(day: date, nation: str) -> str | None:
    name = bank_holiday(day, nation)
    if name is not None:
        return name
    return "weekend" if day.weekday() >= 5 else None


def roll_forward(day: date, nation: str) -> tuple[date, tuple[tuple[date, str], ...]]:
    """The first working day on or after ``day``, and the days passed over."""
    skipped: list[tuple[date, str]] = []
    while (reason := non_working_reason(day, nation)) is not None:
        skipped.append((day, reason))
        day += timedelta(days=1)
    return day, tuple(skipped)


def add_working_days(day: date, count: int, nation: str) -> date:
    """``count`` working days after ``day`` (before it when negative)."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day, nation):
            remaining -= 1
    return day


def working_days_between(today: date, target: date, nation: str) -> int:
    """Working days after ``today`` up to and including ``target``; negative
    (counting the working days after ``target`` up to ``today``) once past it."""
    if target == today:
        return 0
    low, high, sign = (today, target, 1) if target > today else (target, today, -1)
    count = sum(
        1
        for offset in range(1, (high - low).days + 1)
        if is_working_day(low + timedelta(days=offset), nation)
    )
    return sign * count


@dataclass(frozen=True)
class DaysLeft:
    working: int
    calendar: int

    @property
    def overdue(self) -> bool:
        return self.calendar < 0


def days_left(target: date, today: date, nation: str) -> DaysLeft:
    return DaysLeft(working_days_between(today, target, nation), (target - today).days)


# --- the clock ---------------------------------------------------------------


def start_date(inputs: ClockInputs) -> date:
    candidates = [inputs.received_on, inputs.identity_received_on, inputs.authority_received_on]
    if inputs.fee_allowed:
        candidates.append(inputs.fee_received_on)
    return max(day for day in candidates if day is not None)


def paused_days(pauses: tuple[Pause, ...] | list[Pause], start: date | None = None) -> int:
    """Days the clock stood still; overlapping pauses count each day once.
    With ``start``, only days on or after it count: a clock that had not
    started could not stop (a pause before it is clipped)."""
    days: set[date] = set()
    for pause in pauses:
        days |= pause.days()
    return sum(1 for day in days if start is None or day >= start)


def clipped_pauses(inputs: ClockInputs) -> tuple[Pause, ...]:
    """The closed pauses with days before the clock's start (not counted)."""
    start = start_date(inputs)
    return tuple(pause for pause in inputs.pauses if not pause.is_open and pause.asked_on < start)


def compute(inputs: ClockInputs) -> ClockResult:
    start = start_date(inputs)
    paused = paused_days(inputs.pauses, start)
    paused_now = any(pause.is_open for pause in inputs.pauses)
    if paused_now:
        return ClockResult(
            start=start,
            paused_days=paused,
            paused_now=True,
            extended=inputs.extended,
            original_due=None,
            due=None,
            unrolled_due=None,
        )
    original_due, _ = roll_forward(add_months(start, 1) + timedelta(days=paused), inputs.nation)
    unrolled = add_months(start, 3 if inputs.extended else 1) + timedelta(days=paused)
    due, skipped = roll_forward(unrolled, inputs.nation)
    internal = None
    if inputs.internal_target_days:
        # A pause stops the internal clock too: the team cannot act without the answer.
        internal = start + timedelta(days=inputs.internal_target_days + paused)
    return ClockResult(
        start=start,
        paused_days=paused,
        paused_now=False,
        extended=inputs.extended,
        original_due=original_due,
        due=due,
        unrolled_due=unrolled,
        rolled_over=skipped,
        internal_target=internal,
    )


def due_date(received_on: date, nation: str = "england", **others: object) -> date | None:
    """Shorthand: the statutory due date for a request received on ``received_on``."""
    return compute(ClockInputs(received_on=received_on, nation=nation, **others)).due  # type: ignore[arg-type]


def reminder_threshold(target: date, today: date, nation: str) -> str | None:
    """Which reminder is due on ``today`` for a case whose reminder date is
    ``target``: ``"overdue"``, or the smallest of 7/3/1 working days reached
    (a missed day still sends the most urgent one), or None."""
    left = working_days_between(today, target, nation)
    if today > target:
        return "overdue"
    reached = [threshold for threshold in REMINDER_THRESHOLDS if left <= threshold]
    return str(min(reached)) if reached else None
