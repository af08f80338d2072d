"""Which stores a search for a case's subject covers, and whether the
requester's own address finds anything in those keyed by address.

A person store is searched by the details the request gives (name, date of
birth, role); a store keyed by email address only by an address, and the one
address a case can use before any record is confirmed is the requester's
own, confirmed with the code sent to it, when they ask about themself. What
that address finds is theirs: it lets a gather run with no person record
confirmed (``services.start_gather``) and stops a "we hold nothing" answer
(``nothing_held.problem``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.cases.models import Case, CaseEvent, Relationship, RequestType
from app.collect.identity import match_for, organisations_of
from app.extensions import db
from app.sources.protocol import Source
from app.sources.registry import all_sources

SEARCHED = "candidates_proposed"  # the timeline line a search leaves
LONDON = ZoneInfo("Europe/London")
# The requests a gather by the requester's own address serves: those
# answered with what is held (a copy, or its erasure). Restricting, objecting
# and correcting work on a person's records.
GATHERED_BY_ADDRESS = frozenset({RequestType.ACCESS, RequestType.PORTABILITY, RequestType.ERASURE})


@dataclass(frozen=True, slots=True)
class Search:
    """Which stores the answer can say were searched, and how."""

    by_details: list[Source]  # person stores, by name, date of birth and the like
    by_email: list[Source]  # stores keyed by address, by the requester's own (self requests)
    not_searched: list[Source]  # reached only through a person's records or own address


def search_of(case: Case) -> Search:
    """The stores searched for this case's subject: the person stores for
    the subject's role (``app.sources.matching.concerns``) and, when the
    requester asks about themself, every store keyed by email address, by
    theirs. The rest can only be reached through a record of the person."""
    role = case.subject_role.value
    sources = all_sources()
    by_details = [s for s in sources if role in getattr(s, "roles", ())]
    people = {s.name for s in sources if hasattr(s, "roles")}
    keyed = [s for s in sources if s.name not in people]
    own = case.requester_relationship is Relationship.SELF
    return Search(by_details, keyed if own else [], [] if own else keyed)


def held_under_own_email(case: Case) -> list[Source]:
    """The stores keyed by address that hold something under the address of
    a requester asking about themself (the address they confirmed)."""
    search = search_of(case)
    if not search.by_email:
        return []
    match = match_for(
        organisations_of(case),
        [],
        requester_relationship=case.requester_relationship,
        requester_email=case.requester_email,
    )
    return [source for source in search.by_email if next(iter(source.collect(db.session, match)), None)]


def gathers_by_address(case: Case) -> bool:
    """Whether a gather with no record confirmed may start: the request is
    answered with what is held, and the requester's own address finds some."""
    return case.request_type in GATHERED_BY_ADDRESS and bool(held_under_own_email(case))


def last_searched_on(case: Case) -> date | None:
    """The day (in the UK) of the case's latest search for its subject, if any."""
    at = db.session.scalar(
        select(CaseEvent.at)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == SEARCHED)
        .order_by(CaseEvent.at.desc())
        .limit(1)
    )
    return at.astimezone(LONDON).date() if at is not None else None
