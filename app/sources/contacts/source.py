"""Parents, carers and other named contacts as a Source, with their links
to pupils (relationship, parental responsibility)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.orgs.models import Organisation
from app.restriction.lookup import is_restricted, restriction_mark
from app.sources.contacts.models import Contact, PupilContact
from app.sources.items import ids_param, sorted_ids, values_of
from app.sources.matching import CandidatePool, PersonFacts, TypedIdentity, concerns, postcode_variants
from app.sources.protocol import Candidate, Identity, Item, Match, PersonKind
from app.sources.pupils.models import Pupil

NAME = "contacts"
_CONTACT_COLUMNS = (
    "title", "forename", "surname", "email", "mobile_phone", "home_phone", "address_line1", "address_line2",
    "town", "postcode", "anonymised_at",
)  # fmt: skip
_LINK_COLUMNS = (
    "relationship_to_pupil", "parental_responsibility", "contact_priority", "lives_with_pupil",
    "receives_correspondence",
)  # fmt: skip


class ContactSource:
    name = NAME
    title = "Pupil contacts: parents and carers (MIS)"
    categories = ("identity", "pupil_link", "pupil_contacts")
    roles = frozenset({"parent"})

    def find(self, session: Session, identity: Identity) -> list[Candidate]:
        if not concerns(identity, self.roles):
            return []
        typed = TypedIdentity.of(identity)
        orgs = sorted_ids(identity.organisation_ids)
        base = select(Contact, Organisation.name).join(
            Organisation, Organisation.id == Contact.organisation_id
        )
        in_orgs = Contact.organisation_id.in_(orgs)
        pool = CandidatePool()
        if typed.emails:
            pool.add(
                session.execute(base.where(in_orgs, Contact.email.in_(sorted(typed.emails)))), "email_exact"
            )
        if typed.phones:
            # A number the requester gave: finds a parent whose surname or
            # email has changed since the school recorded them.
            phones = sorted(typed.phones)
            pool.add(
                session.execute(
                    base.where(in_orgs, or_(Contact.mobile_key.in_(phones), Contact.home_key.in_(phones)))
                ),
                "phone_exact",
            )
        if typed.lookup_keys:
            # Contacts carry no date of birth: everyone in these schools with
            # the surname (or the forename, in case the names were swapped).
            pool.add(session.execute(base.where(in_orgs, Contact.surname_key.in_(sorted(typed.lookup_keys)))))
        if typed.postcode:
            # The household: catches a mistyped or changed surname.
            pool.add(
                session.execute(base.where(in_orgs, Contact.postcode.in_(postcode_variants(typed.postcode))))
            )
        return pool.candidates(typed, source=NAME, kind=PersonKind.CONTACT, facts=_facts, summary=_summary)

    def collect(self, session: Session, match: Match) -> Iterator[Item]:
        orgs = sorted_ids(match.organisation_ids)
        if not orgs:
            return
        if match.contact_ids:
            yield from _contacts(session, sorted_ids(match.contact_ids), orgs)
        if match.pupil_ids:
            yield from _pupils_contacts(session, sorted_ids(match.pupil_ids), orgs)


def parental_responsibility(
    session: Session, pupil_ids: Iterable[uuid.UUID], contact_ids: Iterable[uuid.UUID]
) -> list[bool]:
    """The parental-responsibility flag of each link between these pupils
    and these contacts (none when no contact is linked to any pupil)."""
    query = select(PupilContact.parental_responsibility).where(
        PupilContact.pupil_id.in_(sorted_ids(pupil_ids)), PupilContact.contact_id.in_(sorted_ids(contact_ids))
    )
    return list(session.scalars(query))


def _facts(contact: Contact) -> PersonFacts:
    return PersonFacts.of(
        forename_key=contact.forename_key,
        surname_key=contact.surname_key,
        surname=contact.surname,
        postcode=contact.postcode,
    )


def _summary(contact: Contact, org_name: str) -> dict[str, Any]:
    return {
        "name": " ".join(filter(None, [contact.title, contact.forename, contact.surname])),
        "email": contact.email,
        "postcode": contact.postcode,
        "organisation": org_name,
        "role": "contact",
    }


def _contacts(session: Session, ids: list[uuid.UUID], orgs: list[uuid.UUID]) -> Iterator[Item]:
    contacts = session.execute(_CONTACTS, {"ids": ids, "orgs": orgs}).all()
    restricted = is_restricted(session, PersonKind.CONTACT, [row[0] for row in contacts])
    for row in contacts:
        contact_id = str(row[0])
        yield Item(
            NAME,
            "identity",
            f"contact:{contact_id}",
            "Contact record",
            {
                "contact_id": contact_id,
                "school": row[1],
                **values_of(_CONTACT_COLUMNS, row[2:]),
                **restriction_mark(row[0] in restricted),
            },
        )
    if not contacts:
        return
    links = session.execute(_CONTACT_LINKS, {"ids": [row[0] for row in contacts], "orgs": orgs})
    for row in links:
        link_id, contact_id, pupil_id, forename, surname, preferred = row[:6]
        yield Item(
            NAME,
            "pupil_link",
            f"pupil_contact:{link_id}",
            "Named as a contact of a pupil",
            {
                "contact_id": str(contact_id),
                "pupil_id": str(pupil_id),
                "pupil_name": f"{preferred or forename} {surname}",
                **values_of(_LINK_COLUMNS, row[6:]),
            },
        )


def _pupils_contacts(session: Session, pupil_ids: list[uuid.UUID], orgs: list[uuid.UUID]) -> Iterator[Item]:
    """A pupil's own record of who their contacts are."""
    grouped: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in session.execute(_PUPILS_CONTACTS, {"ids": pupil_ids, "orgs": orgs}):
        pupil_id, contact_id, title, forename, surname = row[:5]
        grouped.setdefault(pupil_id, []).append(
            {
                "contact_id": str(contact_id),
                "name": " ".join(filter(None, [title, forename, surname])),
                **values_of(_LINK_COLUMNS, row[5:]),
            }
        )
    for pupil_id, contacts in grouped.items():
        yield Item(
            NAME,
            "pupil_contacts",
            f"pupil_contacts:{pupil_id}",
            "The pupil's recorded contacts",
            {"pupil_id": str(pupil_id), "contacts": contacts},
        )


# The collect queries, built once (see ``app.sources.items``).
_C, _L, _O, _P = Contact.__table__, PupilContact.__table__, Organisation.__table__, Pupil.__table__
_CONTACTS = (
    select(_C.c.id, _O.c.name, *(_C.c[name] for name in _CONTACT_COLUMNS))
    .join_from(_C, _O, _O.c.id == _C.c.organisation_id)
    .where(_C.c.id.in_(ids_param()), _C.c.organisation_id.in_(ids_param("orgs")))
    .order_by(_C.c.id)
)
_CONTACT_LINKS = (
    select(
        _L.c.id,
        _L.c.contact_id,
        _L.c.pupil_id,
        _P.c.legal_forename,
        _P.c.legal_surname,
        _P.c.preferred_forename,
        *(_L.c[name] for name in _LINK_COLUMNS),
    )
    .join_from(_L, _P, _P.c.id == _L.c.pupil_id)
    .where(_L.c.contact_id.in_(ids_param()), _P.c.organisation_id.in_(ids_param("orgs")))
    .order_by(_L.c.contact_id, _L.c.contact_priority, _L.c.id)
)
_PUPILS_CONTACTS = (
    select(
        _L.c.pupil_id,
        _C.c.id,
        _C.c.title,
        _C.c.forename,
        _C.c.surname,
        *(_L.c[name] for name in _LINK_COLUMNS),
    )
    .join_from(_L, _C, _C.c.id == _L.c.contact_id)
    .where(_L.c.pupil_id.in_(ids_param()), _C.c.organisation_id.in_(ids_param("orgs")))
    .order_by(_L.c.pupil_id, _L.c.contact_priority, _L.c.id)
)


SOURCE = ContactSource()
