"""Taking a deleted parent's or carer's name off the messages kept for others.

A contact record goes when the schedule's ``contacts_after_pupils`` deletes
it (six months after the last of their children left) or an erasure does.
The school's correspondence is kept longer (three years after its contract
ends), for the other people in it, and it would go on naming the parent:
"Dear Mrs Okafor" in a letter about two children, their name and address
among the recipients, as the sender of a message they wrote. So, before the
records go (``retention.delete_contacts``), at each contact's own school
and in what is under no hold:

- their full names ("Grace Okafor", "Mrs Okafor": ``messages.full_names``)
  become ``NAME_REMOVED`` in the text of messages and support tickets, by
  the rewrite an anonymised pupil's names go through (``pupil_text``). A
  first name alone stays, as it does for a member of staff: at a school,
  "Grace" is not enough to tell which parent;
- they come off the messages as an erased or leaving member of staff does
  (``messages.take_off_messages``): their name and address as the sender,
  their own recipient rows, their tags. An address another contact of the
  school still has (a family's shared address) stays, as it is theirs too;
  so does the same address at another school, where the parent may still
  be a contact of a brother or sister.

Set-based, as for pupils: one query reads the names, the rest are UPDATEs
and DELETEs over the school's rows; a second run finds no contact, so it
changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from app.extensions import db
from app.rights import predicates as where
from app.rights.messages import NameParts, full_names, take_off_messages
from app.rights.pupil_text import take_names_off_text

CONTACTS, MESSAGES, TAGS = where.CONTACTS, where.MESSAGES, where.MESSAGE_PEOPLE
RECIPIENTS = where.MESSAGE_RECIPIENTS


def contact_full_names(contacts: Select) -> dict[uuid.UUID, list[str]]:
    """One query: the full names of the contacts ``contacts`` (a select of
    ids) per organisation, while the records still have them."""
    c = CONTACTS.c
    columns = (c.organisation_id, c.title, c.forename, c.surname)
    rows = db.session.execute(select(*columns).where(c.id.in_(contacts)))
    people: dict[uuid.UUID, list[NameParts]] = {}
    for organisation_id, title, forename, surname in rows:
        people.setdefault(organisation_id, []).append((title, forename, None, surname))
    return {organisation_id: full_names(names) for organisation_id, names in people.items()}


def _their_address(contacts: Select) -> Callable[[ColumnElement], ColumnElement[bool]]:
    """Of an address column of ``messages`` or ``message_recipients``: the
    address (in any case) is one of the contacts ``contacts`` at the
    message's school, and no other contact there has it. A parent with
    children at two schools keeps the address at the school where they are
    still a contact."""
    going, staying = CONTACTS.alias("going"), CONTACTS.alias("staying")
    message = MESSAGES.alias("message_of_row")

    def organisation_of(column: ColumnElement) -> ColumnElement:
        if column.table is MESSAGES:
            return MESSAGES.c.organisation_id
        # Correlated by name: nested in an EXISTS, it would otherwise take
        # the recipients' table into its own FROM.
        of_row = select(message.c.organisation_id).where(message.c.id == column.table.c.message_id)
        return of_row.correlate(column.table).scalar_subquery()

    def addressed(column: ColumnElement) -> ColumnElement[bool]:
        organisation = organisation_of(column)
        kept_by_another = (
            select(staying.c.id)
            .where(
                staying.c.organisation_id == organisation,
                func.lower(staying.c.email) == func.lower(column),
                staying.c.id.not_in(contacts),
            )
            .exists()
        )
        theirs = (
            select(going.c.id)
            .where(
                going.c.id.in_(contacts),
                going.c.organisation_id == organisation,
                func.lower(going.c.email) == func.lower(column),
            )
            .exists()
        )
        return and_(column.is_not(None), theirs, ~kept_by_another)

    return addressed


def take_contacts_off_text(contacts: Select) -> None:
    """Take the contacts ``contacts`` (a select of ids, records not yet
    deleted) off the messages and tickets kept at their schools."""
    names = contact_full_names(contacts)
    if not names:
        return
    take_names_off_text(names)
    addressed = _their_address(contacts)
    schools = sorted(names, key=str)
    sent_or_received = or_(
        addressed(MESSAGES.c.sender_email),
        MESSAGES.c.id.in_(select(RECIPIENTS.c.message_id).where(addressed(RECIPIENTS.c.email))),
        MESSAGES.c.id.in_(select(TAGS.c.message_id).where(TAGS.c.contact_id.in_(contacts))),
    )
    take_off_messages(
        and_(MESSAGES.c.organisation_id.in_(schools), where.message_not_held(), sent_or_received),
        addressed,
        TAGS.c.contact_id.in_(contacts),
        {},
    )
