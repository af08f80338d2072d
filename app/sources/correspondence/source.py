"""Correspondence as a Source: messages the person sent, received, or was
tagged in. Bodies go out as they are; naming others is for review."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, func, literal, or_, select, union
from sqlalchemy.orm import Session

from app.sources.contacts.models import Contact
from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient
from app.sources.employees.models import Employee
from app.sources.items import columns_of, sorted_ids
from app.sources.protocol import Candidate, Identity, Item, Match
from app.sources.pupils.models import Pupil

NAME = "correspondence"


def message_ids_for(match: Match) -> Select[Any] | None:
    """The ids of the messages that concern the match, as one UNION of
    index lookups (sender email, recipient email, tagged person)."""
    orgs = sorted_ids(match.organisation_ids)
    emails = sorted(match.emails)
    parts = []
    if emails:
        parts.append(
            select(Message.id.label("id")).where(
                Message.sender_email.in_(emails), Message.organisation_id.in_(orgs)
            )
        )
        parts.append(
            select(MessageRecipient.message_id.label("id")).where(MessageRecipient.email.in_(emails))
        )
    tagged = [
        column.in_(sorted_ids(ids))
        for column, ids in (
            (MessagePerson.pupil_id, match.pupil_ids),
            (MessagePerson.contact_id, match.contact_ids),
            (MessagePerson.employee_id, match.employee_ids),
        )
        if ids
    ]
    if tagged:
        parts.append(select(MessagePerson.message_id.label("id")).where(or_(*tagged)))
    if not parts or not orgs:
        return None
    return select(union(*parts).subquery().c.id)


class CorrespondenceSource:
    name = NAME
    title = "Correspondence sent through the service"
    categories = ("correspondence",)

    def find(self, session: Session, identity: Identity) -> list[Candidate]:
        return []  # holds messages about people, not the people themselves

    def collect(self, session: Session, match: Match) -> Iterator[Item]:
        ids = message_ids_for(match)
        if ids is None:
            return
        orgs = sorted_ids(match.organisation_ids)
        messages = session.scalars(
            select(Message)
            .where(Message.id.in_(ids), Message.organisation_id.in_(orgs))
            .order_by(Message.sent_at, Message.id)
        ).all()
        if not messages:
            return
        wanted = select(Message.id).where(Message.id.in_(ids), Message.organisation_id.in_(orgs))
        recipients: dict[uuid.UUID, list[MessageRecipient]] = {}
        for recipient in session.scalars(
            select(MessageRecipient)
            .where(MessageRecipient.message_id.in_(wanted))
            .order_by(MessageRecipient.message_id, MessageRecipient.kind.desc(), MessageRecipient.id)
        ):
            recipients.setdefault(recipient.message_id, []).append(recipient)
        tagged: dict[uuid.UUID, list[dict[str, Any]]] = {}
        person_name = func.coalesce(
            Pupil.preferred_forename + literal(" ") + Pupil.legal_surname,
            Pupil.legal_forename + literal(" ") + Pupil.legal_surname,
            Contact.forename + literal(" ") + Contact.surname,
            Employee.forename + literal(" ") + Employee.surname,
        )
        for person, name in session.execute(
            select(MessagePerson, person_name)
            .outerjoin(Pupil, Pupil.id == MessagePerson.pupil_id)
            .outerjoin(Contact, Contact.id == MessagePerson.contact_id)
            .outerjoin(Employee, Employee.id == MessagePerson.employee_id)
            .where(MessagePerson.message_id.in_(wanted))
            .order_by(MessagePerson.message_id, MessagePerson.id)
        ):
            person_id = person.pupil_id or person.contact_id or person.employee_id
            tagged.setdefault(person.message_id, []).append(
                {"kind": person.person_kind.value, "id": str(person_id), "name": name}
            )
        emails = match.emails
        own = {str(i) for i in match.pupil_ids | match.contact_ids | match.employee_ids}
        for message in messages:
            to = recipients.get(message.id, [])
            people = tagged.get(message.id, [])
            roles = []
            if message.sender_email and message.sender_email.lower() in emails:
                roles.append("sender")
            if any(r.email.lower() in emails for r in to):
                roles.append("recipient")
            if any(p["id"] in own for p in people):
                roles.append("named")
            yield Item(
                NAME,
                "correspondence",
                f"message:{message.id}",
                message.subject,
                {
                    "message_id": str(message.id),
                    **columns_of(
                        message, ("sent_at", "channel", "sender_name", "sender_email", "subject", "body")
                    ),
                    "recipients": [columns_of(r, ("kind", "name", "email")) for r in to],
                    "people_tagged": people,
                    "subject_is": roles,
                },
                occurred_on=message.sent_at.date(),
            )


SOURCE = CorrespondenceSource()
