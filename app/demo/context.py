"""State shared by the generator modules for one seeding run."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from app.demo.attendance import WeekPools
from app.demo.data_people import ETHNICITIES, NON_ENGLAND_ETHNICITY_BOOST
from app.demo.draw import IdMaker, NameGroup, Weighted


class RowSink:
    """Where generated rows go (see ``app.demo.writer``)."""

    def add(self, table: str, row: tuple) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def attendance(self, pupil_id: str, weeks: list[tuple[str, str]]) -> None:  # pragma: no cover
        raise NotImplementedError


@dataclass
class Context:
    rng: random.Random
    ids: IdMaker
    names: dict[str, NameGroup]
    pools: WeekPools
    sink: RowSink
    as_of: date
    # Every n-th generated row of a kind goes through the import checks.
    check_every: int
    check: Callable[[str, dict[str, object]], None]
    # Schools are generated independently (possibly in parallel); numbers that
    # must be unique across the run are made from the school's index.
    school_index: int = 0
    window_start: date = field(init=False)
    ethnicity: dict[bool, Weighted[tuple[str, str, Weighted[str]]]] = field(init=False)
    _trn: int = field(init=False, default=0)
    _ticket: int = field(init=False, default=0)
    _checked: dict[str, int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.window_start = self.as_of - timedelta(days=364)
        self.ethnicity = {}
        for england in (True, False):
            entries = []
            for code, share, group, languages in ETHNICITIES:
                boost = 1.0 if england else NON_ENGLAND_ETHNICITY_BOOST.get(code, 0.5)
                entries.append(((code, group, Weighted(languages)), share * boost))
            self.ethnicity[england] = Weighted(entries)

    def teacher_reference_number(self) -> str:
        """Seven digits, unique in the run: the school's index and a counter
        make a sequence number, spread over 1000000..9999999 by a stride
        coprime with the range, so no two teachers share one."""
        self._trn += 1
        if self._trn >= 1000:
            raise ValueError("teacher_reference_number: more than 999 teachers in one school")
        sequence = self.school_index * 1000 + self._trn
        return str(1_000_000 + (sequence * 7919 + 1_234_567) % 9_000_000)

    def ticket_reference(self) -> str:
        self._ticket += 1
        return f"TT-{self.school_index + 1:05d}-{self._ticket:04d}"

    def maybe_check(self, kind: str, build: Callable[[], dict[str, object]]) -> None:
        count = self._checked.get(kind, 0)
        self._checked[kind] = count + 1
        if count % self.check_every == 0:
            self.check(kind, build())

    def day_between(self, first: date, last: date) -> date:
        if last <= first:
            return first
        return first + timedelta(days=int(self.rng.random() * ((last - first).days + 1)))

    def moment(self, day: date, earliest: int = 7, latest: int = 18) -> datetime:
        """A time on ``day`` within working hours, in UTC."""
        seconds = int(self.rng.random() * (latest - earliest) * 3600)
        return datetime.combine(day, time(earliest), tzinfo=UTC) + timedelta(seconds=seconds)

    def weekday_between(self, first: date, last: date) -> date:
        day = self.day_between(first, last)
        if day.weekday() > 4:
            day -= timedelta(days=day.weekday() - 4)
            if day < first:
                day = first
        return day


def at(day: date, hour: int = 6) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)
