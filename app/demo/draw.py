"""Fast random drawing for the generator: weighted picks, ids, names, addresses.

Faker is slow per call, so it is used once at start-up to fill name pools;
everything per row is a few ``random`` calls and string joins.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Generic, TypeVar

from faker import Faker

from app.demo.data_people import (
    EXTRA_BRITISH_FEMALE,
    EXTRA_BRITISH_MALE,
    EXTRA_BRITISH_SURNAMES,
    NAME_GROUPS,
)
from app.demo.data_places import (
    FLAT_PREFIXES,
    MOBILE_PREFIX,
    PERSONAL_EMAIL_DOMAINS,
    POSTCODE_UNIT_LETTERS,
    STREET_KINDS,
    STREET_WORDS,
)
from app.sources.names import name_key

T = TypeVar("T")

# Name keys are asked for the same few thousand names millions of times.
key_of = cache(name_key)


class Weighted(Generic[T]):
    """Pick from items by weight in O(log n) with one random number."""

    __slots__ = ("cumulative", "items", "total")

    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        self.items: list[T] = []
        self.cumulative: list[float] = []
        running = 0.0
        for item, weight in pairs:
            running += weight
            self.items.append(item)
            self.cumulative.append(running)
        self.total = running

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect(self.cumulative, rng.random() * self.total)]


NAMESPACE_BITS = 20


class IdMaker:
    """Ids shaped like ``app.db.new_uuid`` (UUID version 7), made from the seed.

    The time field is fixed at the seed's reference date and a counter follows
    it, so ids are reproducible for a given seed and ascend in insert order,
    which keeps B-tree inserts at the right-hand edge. The rest is random, so
    ids are not guessable from one another.
    """

    def __init__(self, rng: random.Random, millis: int, namespace: int = 0) -> None:
        stamp = f"{millis & ((1 << 48) - 1):012x}"
        # Time and version never change within a run, so that part of the text is made once.
        self._prefix = f"{stamp[:8]}-{stamp[8:]}-7"
        # Each school counts in its own range of 2**20 ids, so schools can be
        # generated apart without two rows sharing an id.
        self._counter = namespace << NAMESPACE_BITS
        self._limit = (namespace + 1) << NAMESPACE_BITS
        self._bits = rng.getrandbits

    def __call__(self) -> str:
        self._counter = count = self._counter + 1
        if count >= self._limit:
            raise ValueError("id: more than a million rows for one school")
        # Variant bits 10, then the low 28 bits of the counter, then 34 random bits.
        low = f"{(0x8 << 60) | ((count & 0xFFFFFFF) << 34) | self._bits(34):016x}"
        return f"{self._prefix}{(count >> 28) & 0xFFF:03x}-{low[:4]}-{low[4:]}"


@dataclass(frozen=True)
class NameGroup:
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]

    def forename(self, rng: random.Random, gender: str) -> str:
        if gender == "U":
            gender = rng.choice("FM")
        pool = self.female if gender == "F" else self.male
        return pool[int(rng.random() * len(pool))]

    def surname(self, rng: random.Random) -> str:
        return self.surnames[int(rng.random() * len(self.surnames))]


def build_name_groups(seed: int) -> dict[str, NameGroup]:
    """Name pools per group, drawn once; sorted so that the pools, and so the
    whole data set, depend only on the seed."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    british = NameGroup(
        female=_pool((fake.first_name_female() for _ in range(1200)), EXTRA_BRITISH_FEMALE),
        male=_pool((fake.first_name_male() for _ in range(1200)), EXTRA_BRITISH_MALE),
        surnames=_pool((fake.last_name() for _ in range(2500)), EXTRA_BRITISH_SURNAMES),
    )
    groups = {"british": british}
    for name, (female, male, surnames) in NAME_GROUPS.items():
        groups[name] = NameGroup(tuple(female), tuple(male), tuple(surnames))
    # Mixed heritage: forenames and surnames from either side of the family.
    groups["mixed_asian"] = _merge(british, groups["pakistani"], groups["indian"])
    groups["mixed"] = _merge(british, groups["eastern"], groups["arabic"], groups["african"])
    return groups


def _pool(drawn: Iterable[str], extra: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(set(drawn) | set(extra)))


def _merge(*groups: NameGroup) -> NameGroup:
    return NameGroup(
        female=tuple(sorted({n for g in groups for n in g.female})),
        male=tuple(sorted({n for g in groups for n in g.male})),
        surnames=tuple(sorted({n for g in groups for n in g.surnames})),
    )


@dataclass(frozen=True)
class Address:
    line1: str
    line2: str | None
    town: str
    postcode: str


@dataclass(frozen=True)
class Locality:
    """Where a school's families live: a few postcode districts around it."""

    districts: tuple[str, ...]  # e.g. "B14", "LS6"
    town: str
    landline: str

    def address(self, rng: random.Random) -> Address:
        street = f"{rng.choice(STREET_WORDS)} {rng.choice(STREET_KINDS)}"
        district = rng.choice(self.districts)
        postcode = (
            f"{district} {rng.randint(1, 9)}"
            f"{rng.choice(POSTCODE_UNIT_LETTERS)}{rng.choice(POSTCODE_UNIT_LETTERS)}"
        )
        if rng.random() < 0.12:
            return Address(f"{rng.choice(FLAT_PREFIXES)} {rng.randint(1, 40)}",
                           f"{rng.randint(1, 200)} {street}", self.town, postcode)
        return Address(f"{rng.randint(1, 250)} {street}", None, self.town, postcode)

    def home_phone(self, rng: random.Random) -> str:
        return f"{self.landline}{rng.randint(0, 999):03d}"


def mobile(rng: random.Random) -> str:
    return f"{MOBILE_PREFIX}{rng.randint(0, 999):03d}"


def personal_email(rng: random.Random, forename: str, surname: str) -> str:
    first, last = key_of(forename) or "parent", key_of(surname) or "family"
    style = rng.random()
    if style < 0.4:
        local = f"{first}.{last}"
    elif style < 0.7:
        local = f"{first}{last}{rng.randint(1, 99)}"
    else:
        local = f"{first[0]}{last}{rng.randint(60, 99)}"
    return f"{local}@{rng.choice(PERSONAL_EMAIL_DOMAINS)}"
