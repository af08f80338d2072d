"""Rules ``correspondence_of_leavers`` and ``helpdesk_of_leavers``: a member
of staff comes off the messages kept for others and the support tickets they
raised when the schedule anonymises their staff record.

Correspondence and support tickets are kept until three years after the
school's contract ends, for the parents and colleagues in them and as the
school's record of its support, but the staff record's promise is that only
the name stays for historical reports once the month after leaving is over.
So the messages the leaver sent, received or is tagged in
(``predicates.correspondence_of_leavers``) lose what an erasure takes off them
(reason ``shared_record_staff``, ``app.rights.messages``): their name and
address as the sender, their recipient rows and tags, and their name where
the text gives it in full. The messages themselves stay.

The tickets they raised (``predicates.helpdesk_of_leavers``) lose the same:
their name and address as the requester and the link to their staff record;
their name on the lines they wrote in the thread or chat; the address of the
summaries and transcripts emailed to them; and their name in full and their
addresses wherever the ticket's subject, its lines or its summaries give them
(a chat transcript quotes the address the user confirmed). The ticket, its
thread and its summaries stay until ``helpdesk_after_contract`` deletes them.

Both rules run before ``employees_leavers``, which clears the addresses they
find them by. One query reads the names and addresses of the staff they take
off (the day's leavers, never their messages or tickets) for the patterns
that rewrite the text; everything else is set-based.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update

from app.extensions import db
from app.rights import predicates as where
from app.rights.messages import NAME_REMOVED, NameParts, fitted, full_names, name_pattern, take_off_messages
from app.sources.helpdesk.models import TicketEntry, TicketSummaryEmail

# What a ticket's text shows where it gave the leaver's address.
ADDRESS_REMOVED = "[address removed]"
TICKETS, ENTRIES, SUMMARIES = where.TICKETS, TicketEntry.__table__, TicketSummaryEmail.__table__


@dataclass(frozen=True)
class Leavers:
    """The names (``full_names``) and addresses of the day's leavers, per organisation."""

    names: Mapping[uuid.UUID, list[str]]
    addresses: Mapping[uuid.UUID, list[str]]


def leavers_as_of(cut: date) -> Leavers:
    """One query: the names and addresses of the staff ``employees_leavers`` takes as of ``cut``."""
    staff = where.EMPLOYEES.c
    people: dict[uuid.UUID, list[NameParts]] = {}
    addresses: dict[uuid.UUID, set[str]] = {}
    rows = db.session.execute(
        select(
            staff.organisation_id, staff.work_email, staff.personal_email,
            staff.title, staff.forename, staff.preferred_name, staff.surname,
        ).where(where.employees_leavers(cut))
    )  # fmt: skip
    for organisation_id, work_email, personal_email, *name in rows:
        people.setdefault(organisation_id, []).append(tuple(name))
        addresses.setdefault(organisation_id, set()).update(
            address.strip() for address in (work_email, personal_email) if address and address.strip()
        )
    return Leavers(
        {organisation_id: full_names(names) for organisation_id, names in people.items()},
        {organisation_id: sorted(found) for organisation_id, found in addresses.items() if found},
    )


def take_leavers_off_messages(clause: ColumnElement[bool], _as_of: date, cut: date) -> int:
    """Apply ``correspondence_of_leavers`` to the messages of ``clause``; the messages changed."""
    staff = where.EMPLOYEES.c
    addresses = where.leaver_addresses(cut)
    return take_off_messages(
        clause,
        lambda column: func.lower(column).in_(select(addresses.c.email)),
        where.MESSAGE_PEOPLE.c.employee_id.in_(select(staff.id).where(where.employees_leavers(cut))),
        leavers_as_of(cut).names,
    )


def _rewritten(column: ColumnElement, organisation: ColumnElement, leavers: Leavers) -> ColumnElement:
    """``column`` with the leavers' full names and addresses (any case: people
    type addresses as they like) replaced, by the patterns of ``organisation``."""
    whens = []
    for organisation_id in sorted(set(leavers.names) | set(leavers.addresses)):
        text = column
        if leavers.names.get(organisation_id):
            text = func.regexp_replace(text, name_pattern(leavers.names[organisation_id]), NAME_REMOVED, "g")
        if leavers.addresses.get(organisation_id):
            pattern = "(?i)" + name_pattern(leavers.addresses[organisation_id])
            text = func.regexp_replace(text, pattern, ADDRESS_REMOVED, "g")
        whens.append((organisation == organisation_id, text))
    return fitted(case(*whens, else_=column), column) if whens else column


def take_leavers_off_tickets(clause: ColumnElement[bool], _as_of: date, cut: date) -> int:
    """Apply ``helpdesk_of_leavers`` to the tickets of ``clause``; the tickets changed.

    On PostgreSQL one statement: the tickets are chosen once and the three
    updates are data-modifying CTEs over them, which all read the tickets as
    they were (the requester's name and address the lines and summaries are
    matched by). Elsewhere the lines and summaries go first and the ticket,
    whose requester links ``clause`` finds it by, last."""
    leavers = leavers_as_of(cut)
    addresses = where.leaver_addresses(cut)
    ticket = TICKETS.alias("of_ticket")

    def of_ticket(column: ColumnElement, table) -> ColumnElement:
        return select(column).where(ticket.c.id == table.c.ticket_id).scalar_subquery()

    by_requester = and_(
        ENTRIES.c.author_role == "customer",
        func.lower(ENTRIES.c.author_name) == func.lower(of_ticket(ticket.c.requester_name, ENTRIES)),
    )
    entry_values = {
        "author_name": case((by_requester, NAME_REMOVED), else_=ENTRIES.c.author_name),
        "body": _rewritten(ENTRIES.c.body, of_ticket(ticket.c.organisation_id, ENTRIES), leavers),
    }
    to_requester = or_(
        func.lower(SUMMARIES.c.to_email).in_(select(addresses.c.email)),
        func.lower(SUMMARIES.c.to_email) == func.lower(of_ticket(ticket.c.requester_email, SUMMARIES)),
    )
    summary_organisation = of_ticket(ticket.c.organisation_id, SUMMARIES)
    summary_values = {
        "to_email": case((to_requester, None), else_=SUMMARIES.c.to_email),
        "subject": _rewritten(SUMMARIES.c.subject, summary_organisation, leavers),
        "body": _rewritten(SUMMARIES.c.body, summary_organisation, leavers),
    }
    ticket_values = {
        "requester_name": NAME_REMOVED,
        "requester_email": None,
        "requester_employee_id": None,
        "subject": _rewritten(TICKETS.c.subject, TICKETS.c.organisation_id, leavers),
    }
    if db.session.get_bind().dialect.name == "postgresql":
        target = select(TICKETS.c.id).where(clause).cte("target")
        ids = select(target.c.id)
        changes = (
            update(ENTRIES).where(ENTRIES.c.ticket_id.in_(ids)).values(**entry_values).cte("lines"),
            update(SUMMARIES).where(SUMMARIES.c.ticket_id.in_(ids)).values(**summary_values).cte("sent"),
            update(TICKETS).where(TICKETS.c.id.in_(ids)).values(**ticket_values).cte("raised"),
        )
        statement = select(func.count()).select_from(target).add_cte(*changes)
        return db.session.execute(statement).scalar_one()
    count = db.session.scalar(select(func.count()).select_from(TICKETS).where(clause)) or 0
    if not count:
        return 0
    ids = select(TICKETS.c.id).where(clause)
    db.session.execute(update(ENTRIES).where(ENTRIES.c.ticket_id.in_(ids)).values(**entry_values))
    db.session.execute(update(SUMMARIES).where(SUMMARIES.c.ticket_id.in_(ids)).values(**summary_values))
    db.session.execute(update(TICKETS).where(clause).values(**ticket_values))
    return count
