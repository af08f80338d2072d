"""Parents, carers and other named contacts as a Source, with their links
to pupils (relationship, parental responsibility)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.orgs.models import Organisation
from app.sources.contacts.models import Contact, PupilContact
from app.sources.items import columns_of, sorted_ids
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
    contacts = session.execute(
        select(Contact, Organisation.name)
        .join(Organisation, Organisation.id == Contact.organisation_id)
        .where(Contact.id.in_(ids), Contact.organisation_id.in_(orgs))
        .order_by(Contact.id)
    ).all()
    for contact, org_name in contacts:
        yield Item(
            NAME,
            "identity",
            f"contact:{contact.id}",
            "Contact record",
            {
                "contact_id": str(contact.id),
                "school": org_name,
                **columns_of(contact, _CONTACT_COLUMNS),
            },
        )
    if not contacts:
        return
    links = session.execute(
        select(PupilContact, Pupil.legal_forename, Pupil.legal_surname, Pupil.preferred_forename)
        .join(Pupil, Pupil.id == PupilContact.pupil_id)
        .where(PupilContact.contact_id.in_([c.id for c, _ in contacts]), Pupil.organisation_id.in_(orgs))
        .order_by(PupilContact.contact_id, PupilContact.contact_priority, PupilContact.id)
    )
    for link, forename, surname, preferred in links:
        yield Item(
            NAME,
            "pupil_link",
            f"pupil_contact:{link.id}",
            "Named as a contact of a pupil",
            {
                "contact_id": str(link.contact_id),
                "pupil_id": str(link.pupil_id),
                "pupil_name": f"{preferred or forename} {surname}",
                **columns_of(link, _LINK_COLUMNS),
            },
        )


def _pupils_contacts(session: Session, pupil_ids: list[uuid.UUID], orgs: list[uuid.UUID]) -> Iterator[Item]:
    """A pupil's own record of who their contacts are."""
    grouped: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for link, contact in session.execute(
        select(PupilContact, Contact)
        .join(Contact, Contact.id == PupilContact.contact_id)
        .where(PupilContact.pupil_id.in_(pupil_ids), Contact.organisation_id.in_(orgs))
        .order_by(PupilContact.pupil_id, PupilContact.contact_priority, PupilContact.id)
    ):
        grouped.setdefault(link.pupil_id, []).append(
            {
                "contact_id": str(contact.id),
                "name": " ".join(filter(None, [contact.title, contact.forename, contact.surname])),
                **columns_of(link, _LINK_COLUMNS),
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


SOURCE = ContactSource()
