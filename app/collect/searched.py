"""Which stores a search for a case's subject covers, and whether the
requester's own address finds anything in those keyed by address.

Every person store is searched by the details the request gives (name, date
of birth and the like), whatever role it gives. The stores organised by
person record and email address are searched by a confirmed record or an
address, and the one address a case can use before any record is confirmed
is the requester's own, confirmed with the code sent to it, when they ask
about themself. What that address finds is theirs: it lets a gather run with
no person record confirmed (``services.start_gather``) and stops a "we hold
nothing" answer (``nothing_held.problem``).
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
from app.sources.registry import all_sources, person_sources

SEARCHED = "candidates_proposed"  # the timeline line a search leaves
SEARCHED_STORES = "stores"  # on that line: the person stores it covered
LONDON = ZoneInfo("Europe/London")
# The requests a gather by the requester's own address serves: those
# answered with what is held (a copy, or its erasure). Restricting, objecting
# and correcting work on a person's records.
GATHERED_BY_ADDRESS = frozenset({RequestType.ACCESS, RequestType.PORTABILITY, RequestType.ERASURE})


@dataclass(frozen=True, slots=True)
class Search:
    """Which stores the answer can say were searched, and how."""

    by_details: list[Source]  # person stores the last search covered, by name, date of birth and the like
    missed: list[Source]  # person stores it left out (a search from when the role ticked narrowed it)
    by_record: list[Source]  # organised by person record and email address, not by name
    own_address: bool  # ``by_record`` searched by the requester's own address (they ask about themself)
    on: date | None  # the day (in the UK) of that search; None before any

    @property
    def by_email(self) -> list[Source]:
        """The stores searched by the requester's own address."""
        return self.by_record if self.own_address else []


def _last_search(case: Case) -> CaseEvent | None:
    return db.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == SEARCHED)
        .order_by(CaseEvent.at.desc())
        .limit(1)
    ).first()


def search_of(case: Case) -> Search:
    """The stores the case's last search for its subject covered (as it
    recorded them), and, when the requester asks about themself, every
    store keyed by address, by theirs. A search recorded without its stores
    is from when only the stores of the role ticked were searched."""
    people = person_sources()
    last = _last_search(case)
    names = last.data.get(SEARCHED_STORES) if last is not None else None
    if names is None:
        names = [source.name for source in people if case.subject_role.value in getattr(source, "roles", ())]
    keyed = [source for source in all_sources() if source not in people]
    return Search(
        by_details=[source for source in people if source.name in names],
        missed=[source for source in people if source.name not in names],
        by_record=keyed,
        own_address=case.requester_relationship is Relationship.SELF,
        on=_day(last),
    )


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
    return _day(_last_search(case))


def _day(search: CaseEvent | None) -> date | None:
    return search.at.astimezone(LONDON).date() if search is not None else None
