"""What every personal-data store offers the collector (DESIGN §6).

A *person store* (pupils, contacts, employees) answers ``find``: the records
that may be the data subject, each with a score and the reasons for it. The
DPO confirms some of them; those confirmed records are the ``Match`` every
source then ``collect``s from. Stores that hold data *about* people rather
than the people themselves (correspondence, helpdesk, consent, access log)
find nothing on their own and collect by the confirmed matches' ids, email
addresses and names.

Everything here is plain data: no Flask, no sessions kept. Sources receive
the SQLAlchemy session to run their (set-based) queries on.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session


class PersonKind(enum.StrEnum):
    """The kind of record a match points at; mirrors the stores' own kinds."""

    PUPIL = "pupil"
    CONTACT = "contact"
    EMPLOYEE = "employee"


@dataclass(frozen=True)
class Identity:
    """Who the case is about, as the requester described them.

    ``organisation_ids`` bounds every search: a school's own id, or a trust
    and its member schools. Names are as typed; sources normalise them.
    """

    organisation_ids: frozenset[uuid.UUID]
    forename: str
    surname: str
    date_of_birth: date | None = None
    upn: str | None = None
    staff_number: str | None = None
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()  # as typed; sources normalise them
    postcode: str | None = None
    # pupil, parent, staff or former_staff (app.cases.models.SubjectRole
    # values): only the person stores of that role search. None: every one.
    role: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A record that may be the subject. ``score`` is 0..1; ``reasons`` are
    short codes a DPO can read (e.g. ``upn_exact``, ``dob_exact``,
    ``surname_swapped``)."""

    source: str
    kind: PersonKind
    record_id: uuid.UUID
    organisation_id: uuid.UUID
    score: float
    reasons: tuple[str, ...]
    # "subject", or "requester": a parent asking for a child is found
    # separately as a contact, so the DPO sees the parent's own record too.
    about: str = "subject"
    # What the console shows beside the score: name, DOB, school, role.
    # Personal data: never logged, never put in audit events.
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    """The records the DPO confirmed as the subject, by kind, with the email
    addresses and names they carry (so stores keyed by email or free text
    can find them without re-reading the person stores)."""

    organisation_ids: frozenset[uuid.UUID]
    pupil_ids: frozenset[uuid.UUID] = frozenset()
    contact_ids: frozenset[uuid.UUID] = frozenset()
    employee_ids: frozenset[uuid.UUID] = frozenset()
    emails: frozenset[str] = frozenset()  # normalised (app.sources.names.normalise_email)


@dataclass(frozen=True)
class Item:
    """One piece of collected personal data, ready to be sealed and reviewed.

    ``key`` is stable for the same record across runs (e.g.
    ``attendance:<pupil_id>:2024/2025``) so a re-run gather replaces rather
    than duplicates. ``data`` is JSON-serialisable (dates as ISO strings).
    """

    source: str
    category: str  # e.g. identity, attendance, assessment, send, correspondence
    key: str
    title: str  # short human label for the review screen, no personal data beyond the subject's own
    data: dict[str, Any]
    occurred_on: date | None = None


@runtime_checkable
class Source(Protocol):
    name: str  # stable code, e.g. "pupils"
    title: str  # for the "systems searched" list, e.g. "Pupil records (MIS)"
    categories: tuple[str, ...]  # the Item categories it can produce

    def find(self, session: Session, identity: Identity) -> list[Candidate]: ...

    def collect(self, session: Session, match: Match) -> Iterator[Item]: ...


def by_name(sources: Iterable[Source]) -> dict[str, Source]:
    return {source.name: source for source in sources}
