"""Every personal-data store, in the order the "systems searched" list shows
them, and identity search across the person stores."""

from __future__ import annotations

import dataclasses
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.sources.access_log.source import SOURCE as ACCESS_LOG
from app.sources.consent.source import SOURCE as CONSENT
from app.sources.contacts.models import PupilContact
from app.sources.contacts.source import SOURCE as CONTACTS
from app.sources.correspondence.source import SOURCE as CORRESPONDENCE
from app.sources.employees.source import SOURCE as EMPLOYEES
from app.sources.helpdesk.source import SOURCE as HELPDESK
from app.sources.matching import concerns, ranked
from app.sources.protocol import Candidate, Identity, PersonKind, Source
from app.sources.pupils.source import SOURCE as PUPILS

# A requester's contact record linked to one of the child candidates is
# much more likely to be the right parent.
LINKED_TO_SUBJECT_BONUS = 0.1
REQUESTER = "requester"


def all_sources() -> list[Source]:
    return [PUPILS, CONTACTS, EMPLOYEES, CORRESPONDENCE, HELPDESK, CONSENT, ACCESS_LOG]


def person_sources() -> list[Source]:
    """The stores of people themselves (pupils, contacts, employees): those
    a search by name, date of birth and the like covers."""
    return [source for source in all_sources() if hasattr(source, "roles")]


def searched_for(identity: Identity) -> list[Source]:
    """The person stores a search for ``identity`` covers: every one for a
    subject (given no role), those of its role for a requester acting for
    someone (``app.sources.matching.concerns``)."""
    return [
        source for source in person_sources() if concerns(identity, getattr(source, "roles", frozenset()))
    ]


@cache
def _by_name() -> dict[str, Source]:
    return {source.name: source for source in all_sources()}


def get_source(name: str) -> Source:
    """The source called ``name``; KeyError names the known ones."""
    try:
        return _by_name()[name]
    except KeyError:
        raise KeyError(f"no source {name!r} (known: {', '.join(_by_name())})") from None


def find_all(session: Session, identity: Identity, *, requester: Identity | None = None) -> list[Candidate]:
    """Candidates for the subject from every store that searches for it
    (every person store when no role is given), then (when someone asks
    for another person, e.g. a parent for a child) the requester's own
    records, marked ``about="requester"``.

    Nothing is merged or confirmed: the DPO picks from the list.
    """
    subject = [c for source in all_sources() for c in source.find(session, identity)]
    if requester is None:
        return ranked(subject)
    asking = dataclasses.replace(
        requester,
        role=requester.role or "parent",
        organisation_ids=requester.organisation_ids or identity.organisation_ids,
    )
    theirs = [
        dataclasses.replace(c, about=REQUESTER)
        for source in all_sources()
        for c in source.find(session, asking)
    ]
    theirs = _mark_links(session, theirs, subject)
    return ranked(subject) + ranked(theirs)


def _mark_links(session: Session, requester: list[Candidate], subject: list[Candidate]) -> list[Candidate]:
    """Raise the requester's contact records that the school links to a
    child candidate (one query over the candidate ids)."""
    contact_ids = [c.record_id for c in requester if c.kind is PersonKind.CONTACT]
    pupil_ids = [c.record_id for c in subject if c.kind is PersonKind.PUPIL]
    if not contact_ids or not pupil_ids:
        return requester
    linked = set(
        session.scalars(
            select(PupilContact.contact_id).where(
                PupilContact.contact_id.in_(contact_ids), PupilContact.pupil_id.in_(pupil_ids)
            )
        )
    )
    return [
        dataclasses.replace(
            c,
            score=round(min(1.0, c.score + LINKED_TO_SUBJECT_BONUS), 3),
            reasons=(*c.reasons, "linked_to_subject"),
        )
        if c.record_id in linked
        else c
        for c in requester
    ]
