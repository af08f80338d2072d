"""Scoring a stored person record against the identity a requester gave.

The person stores (pupils, contacts, employees) fetch a small pool of rows
with index-friendly queries (exact keys, then name keys and date of birth
within the organisations) and hand each row here as ``PersonFacts``. This
module decides how alike they are; it never touches the database.

Scoring is additive evidence, clamped to 0..1:

========================  ======  ==========================================
evidence                  weight  reason code
========================  ======  ==========================================
UPN / staff number        +0.50   upn_exact, staff_number_exact
former UPN                +0.45   former_upn_exact
email address             +0.40   email_exact
(only the strongest exact key counts)
date of birth             +0.30   dob_exact
day and month swapped     +0.15   dob_day_month_swapped
date of birth differs     -0.25   dob_differs
forename (legal)          +0.30   forename_exact
preferred forename        +0.27   forename_preferred
a middle name             +0.20   forename_middle
forename typo             +0.22   forename_typo
initial only              +0.10   forename_initial
forename differs          -0.20   forename_differs
surname (legal)           +0.25   surname_exact
preferred surname         +0.25   surname_preferred
one part of a double name +0.20   surname_partial
surname typo              +0.18   surname_typo
surname differs           -0.15   surname_differs
names swapped             -0.05   names_swapped (the swapped reading scored)
postcode                  +0.10   postcode_exact
========================  ======  ==========================================

So names and date of birth alike score 0.85 (0.95 with the postcode); a twin
with the same surname and birthday but another forename scores 0.35 (0.45),
below ``WEAK``. Nothing is ever merged or confirmed here: every candidate is
listed for the DPO, strongest first. Candidates under ``FLOOR`` are dropped
unless their UPN or former UPN matched: a UPN is unique nationally, so one
typed by the requester is shown even when everything else disagrees (the
disagreement is the news). Staff numbers are unique only within a school and
an email address may be shared, so those go through the floor like the rest.

Pools are fetched by exact keys, by date of birth within the organisations
(pupils, staff) and by name keys (names swapped included); contacts carry no
date of birth, so they are also fetched by postcode. A preferred surname
typed without a date of birth is therefore not found: ask for the date.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.sources.names import name_key, normalise_email, normalise_postcode, phone_key
from app.sources.protocol import Candidate, Identity, PersonKind

# At or above: a likely match worth the DPO's confirmation. Below: weak
# (e.g. surname only, or names right but date of birth wrong).
WEAK = 0.5
# Below this a candidate is not listed at all (unless an exact key matched).
FLOOR = 0.2

EXACT_KEY_WEIGHTS = {
    "upn_exact": 0.50,
    "staff_number_exact": 0.50,
    "former_upn_exact": 0.45,
    "email_exact": 0.40,
    # Below an email: a home number is shared by the household.
    "phone_exact": 0.35,
}
_DOB_EXACT, _DOB_SWAPPED, _DOB_DIFFERS = 0.30, 0.15, -0.25
_FORENAME = {"exact": 0.30, "preferred": 0.27, "middle": 0.20, "typo": 0.22, "initial": 0.10}
_FORENAME_DIFFERS = -0.20
_SURNAME = {"exact": 0.25, "preferred": 0.25, "partial": 0.20, "typo": 0.18}
_SURNAME_DIFFERS = -0.15
_SWAPPED_PENALTY = -0.05
_POSTCODE = 0.10

# Nationally unique identifiers: listed whatever else disagrees.
FLOOR_EXEMPT = frozenset({"upn_exact", "former_upn_exact"})

_WORDS = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class TypedIdentity:
    """The identity's names as keys, computed once per search."""

    forename_key: str  # the whole forename as typed, as a key
    forename_keys: frozenset[str]  # the whole forename, and its first word ("Mary Jane" -> both)
    surname_key: str
    surname_parts: frozenset[str]
    date_of_birth: date | None
    postcode: str | None
    emails: frozenset[str]
    phones: frozenset[str] = frozenset()  # phone keys

    @classmethod
    def of(cls, identity: Identity) -> TypedIdentity:
        forename = identity.forename.strip()
        words = [w for w in _WORDS.split(forename) if w]
        keys = {name_key(forename)} | ({name_key(words[0])} if words else set())
        return cls(
            forename_key=name_key(forename),
            forename_keys=frozenset(k for k in keys if k),
            surname_key=name_key(identity.surname),
            surname_parts=name_parts(identity.surname),
            date_of_birth=identity.date_of_birth,
            postcode=normalise_postcode(identity.postcode) if identity.postcode else None,
            emails=frozenset(normalise_email(e) for e in identity.emails if e.strip()),
            phones=frozenset(key for key in map(phone_key, identity.phones) if key),
        )

    @property
    def lookup_keys(self) -> frozenset[str]:
        """Name keys to look up in either name column (swapped names too)."""
        return self.forename_keys | ({self.surname_key} if self.surname_key else frozenset())


@dataclass(frozen=True)
class PersonFacts:
    """What a stored record says about a person, as keys."""

    forename_key: str
    surname_key: str
    preferred_forename_key: str | None = None
    preferred_surname_key: str | None = None
    middle_name_keys: frozenset[str] = frozenset()
    surname_parts: frozenset[str] = frozenset()
    date_of_birth: date | None = None
    postcode: str | None = None  # normalised

    @classmethod
    def of(
        cls,
        *,
        forename_key: str,
        surname_key: str,
        surname: str,
        preferred_forename: str | None = None,
        preferred_surname: str | None = None,
        middle_names: str | None = None,
        date_of_birth: date | None = None,
        postcode: str | None = None,
    ) -> PersonFacts:
        return cls(
            forename_key=forename_key,
            surname_key=surname_key,
            preferred_forename_key=name_key(preferred_forename) if preferred_forename else None,
            preferred_surname_key=name_key(preferred_surname) if preferred_surname else None,
            middle_name_keys=frozenset(name_key(w) for w in (middle_names or "").split() if name_key(w)),
            surname_parts=name_parts(surname)
            | (name_parts(preferred_surname) if preferred_surname else set()),
            date_of_birth=date_of_birth,
            postcode=normalise_postcode(postcode) if postcode else None,
        )


def name_parts(name: str) -> frozenset[str]:
    """The words of a double-barrelled or multi-word name, as keys."""
    return frozenset(k for k in (name_key(w) for w in _WORDS.split(name)) if len(k) >= 2)


def postcode_variants(postcode: str | None) -> list[str]:
    """Spellings a postcode may be stored under, for an index lookup."""
    if not postcode:
        return []
    packed = normalise_postcode(postcode)
    spaced = f"{packed[:-3]} {packed[-3:]}" if len(packed) > 3 else packed
    return sorted({packed, spaced})


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a transposition counts once),
    giving up at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_typos(key: str) -> int:
    """Short names tolerate less: "amy"/"ann" are different people."""
    if len(key) <= 2:
        return 0
    return 1 if len(key) <= 5 else 2


def _is_typo(typed: str, stored: str | None) -> bool:
    if not typed or not stored or typed == stored:
        return False
    limit = allowed_typos(stored)
    return limit > 0 and edit_distance(typed, stored, limit) <= limit


def _forename(typed_keys: frozenset[str], facts: PersonFacts) -> tuple[float, str] | None:
    if facts.forename_key in typed_keys:
        return _FORENAME["exact"], "forename_exact"
    if facts.preferred_forename_key and facts.preferred_forename_key in typed_keys:
        return _FORENAME["preferred"], "forename_preferred"
    if facts.middle_name_keys & typed_keys:
        return _FORENAME["middle"], "forename_middle"
    if any(_is_typo(k, facts.forename_key) or _is_typo(k, facts.preferred_forename_key) for k in typed_keys):
        return _FORENAME["typo"], "forename_typo"
    if any(len(k) == 1 and facts.forename_key.startswith(k) for k in typed_keys):
        return _FORENAME["initial"], "forename_initial"
    return None


def _surname(typed_key: str, typed_parts: frozenset[str], facts: PersonFacts) -> tuple[float, str] | None:
    if not typed_key:
        return None
    if typed_key == facts.surname_key:
        return _SURNAME["exact"], "surname_exact"
    if typed_key == facts.preferred_surname_key:
        return _SURNAME["preferred"], "surname_preferred"
    if typed_key in facts.surname_parts or (len(typed_parts) > 1 and typed_parts & facts.surname_parts):
        return _SURNAME["partial"], "surname_partial"
    if _is_typo(typed_key, facts.surname_key) or _is_typo(typed_key, facts.preferred_surname_key):
        return _SURNAME["typo"], "surname_typo"
    return None


def _names(typed: TypedIdentity, facts: PersonFacts) -> tuple[float, list[str]]:
    """The better of the names as typed and the names swapped."""
    readings = []
    for swapped in (False, True):
        if swapped:
            forenames = frozenset({typed.surname_key}) - {""}
            surname = typed.forename_key
            parts = frozenset({surname}) - {""}
        else:
            forenames, surname, parts = typed.forename_keys, typed.surname_key, typed.surname_parts
        fore, sur = _forename(forenames, facts), _surname(surname, parts, facts)
        weight, reasons = 0.0, []
        if fore:
            weight += fore[0]
            reasons.append(fore[1])
        elif forenames:
            weight += _FORENAME_DIFFERS
            reasons.append("forename_differs")
        if sur:
            weight += sur[0]
            reasons.append(sur[1])
        elif surname:
            weight += _SURNAME_DIFFERS
            reasons.append("surname_differs")
        if swapped:
            weight += _SWAPPED_PENALTY
            reasons.append("names_swapped")
        readings.append((weight, reasons))
    return max(readings, key=lambda reading: reading[0])


def _dob(typed: date | None, stored: date | None) -> tuple[float, str] | None:
    if typed is None or stored is None:
        return None
    if typed == stored:
        return _DOB_EXACT, "dob_exact"
    if typed.year == stored.year and (typed.month, typed.day) == (stored.day, stored.month):
        return _DOB_SWAPPED, "dob_day_month_swapped"
    return _DOB_DIFFERS, "dob_differs"


def score(
    typed: TypedIdentity, facts: PersonFacts, exact: set[str] | frozenset[str] = frozenset()
) -> tuple[float, tuple[str, ...]] | None:
    """``(score, reasons)``, or None when the record is not worth listing."""
    reasons: list[str] = sorted(exact, key=lambda r: -EXACT_KEY_WEIGHTS[r])
    total = max((EXACT_KEY_WEIGHTS[r] for r in exact), default=0.0)
    dob = _dob(typed.date_of_birth, facts.date_of_birth)
    if dob:
        total += dob[0]
        reasons.append(dob[1])
    names_weight, name_reasons = _names(typed, facts)
    total += names_weight
    reasons.extend(name_reasons)
    if typed.postcode and facts.postcode == typed.postcode:
        total += _POSTCODE
        reasons.append("postcode_exact")
    value = round(min(1.0, max(0.0, total)), 3)
    if value < FLOOR and not exact & FLOOR_EXEMPT:
        return None
    return value, tuple(reasons)


class CandidatePool:
    """The rows a person store's queries found, each record kept once, with
    the exact-key reasons (e.g. ``upn_exact``) met on the way; then scored.
    Rows are ``(record, organisation name)``; records have ``id`` and
    ``organisation_id``."""

    def __init__(self) -> None:
        self._found: dict[uuid.UUID, tuple[Any, str]] = {}
        self._exact: dict[uuid.UUID, set[str]] = {}

    def add(self, rows: Iterable[Any], reason: str | Callable[[Any], str] | None = None) -> None:
        for record, org_name in rows:
            self._found[record.id] = (record, org_name)
            if reason is not None:
                self._exact.setdefault(record.id, set()).add(reason(record) if callable(reason) else reason)

    def candidates(
        self,
        typed: TypedIdentity,
        *,
        source: str,
        kind: PersonKind,
        facts: Callable[[Any], PersonFacts],
        summary: Callable[[Any, str], dict[str, Any]],
    ) -> list[Candidate]:
        """The records worth listing, strongest first."""
        found = []
        for record, org_name in self._found.values():
            scored = score(typed, facts(record), self._exact.get(record.id, set()))
            if scored:
                found.append(
                    Candidate(
                        source=source,
                        kind=kind,
                        record_id=record.id,
                        organisation_id=record.organisation_id,
                        score=scored[0],
                        reasons=scored[1],
                        summary=summary(record, org_name),
                    )
                )
        return ranked(found)


def ranked(candidates: list[Candidate]) -> list[Candidate]:
    """Strongest first; ties in a stable order (by record id)."""
    return sorted(candidates, key=lambda c: (-c.score, str(c.record_id)))


def concerns(identity: Identity, roles: frozenset[str]) -> bool:
    """Whether a person store should search for this identity: its own
    roles, or any store when the role is not given. A case's subject is
    searched with no role (``app.collect.identity.subject_identity``): the
    role ticked on a form must not narrow a search for all their data. A
    requester acting for someone is searched by role (a parent among
    contacts): that search shows their authority, not their own data."""
    return bool(identity.organisation_ids) and (identity.role is None or identity.role in roles)
