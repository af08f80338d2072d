"""The support desk as a Source: tickets the person raised or that were
about them, with their chat transcripts and thread, and the summary emails
sent to the person's addresses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, select, union
from sqlalchemy.orm import Session

from app.sources.helpdesk.models import Ticket, TicketEntry, TicketSummaryEmail
from app.sources.items import columns_of, sorted_ids
from app.sources.protocol import Candidate, Identity, Item, Match

NAME = "helpdesk"
_TICKET_COLUMNS = (
    "reference", "opened_at", "closed_at", "channel", "status", "category", "subject", "requester_name",
    "requester_email", "assigned_agent",
)  # fmt: skip


def ticket_ids_for(match: Match) -> Select[Any] | None:
    """One UNION of index lookups: requester email or employee record, the
    pupil a ticket was about, and summaries sent to the person's emails."""
    orgs = sorted_ids(match.organisation_ids)
    emails = sorted(match.emails)
    in_orgs = Ticket.organisation_id.in_(orgs)
    parts = []
    if emails:
        parts.append(select(Ticket.id.label("id")).where(Ticket.requester_email.in_(emails), in_orgs))
        parts.append(
            select(TicketSummaryEmail.ticket_id.label("id")).where(TicketSummaryEmail.to_email.in_(emails))
        )
    if match.employee_ids:
        by_employee = Ticket.requester_employee_id.in_(sorted_ids(match.employee_ids))
        parts.append(select(Ticket.id.label("id")).where(by_employee, in_orgs))
    if match.pupil_ids:
        about_pupil = Ticket.about_pupil_id.in_(sorted_ids(match.pupil_ids))
        parts.append(select(Ticket.id.label("id")).where(about_pupil, in_orgs))
    if not parts or not orgs:
        return None
    return select(union(*parts).subquery().c.id)


class HelpdeskSource:
    name = NAME
    title = "Support desk: tickets, chat transcripts and summary emails"
    categories = ("support_ticket", "support_email")

    def find(self, session: Session, identity: Identity) -> list[Candidate]:
        return []  # holds tickets about people, not the people themselves

    def collect(self, session: Session, match: Match) -> Iterator[Item]:
        ids = ticket_ids_for(match)
        if ids is None:
            return
        orgs = sorted_ids(match.organisation_ids)
        wanted = select(Ticket.id).where(Ticket.id.in_(ids), Ticket.organisation_id.in_(orgs))
        tickets = session.scalars(
            select(Ticket).where(Ticket.id.in_(wanted)).order_by(Ticket.opened_at, Ticket.id)
        ).all()
        if not tickets:
            return
        entries: dict[uuid.UUID, list[TicketEntry]] = {}
        for entry in session.scalars(
            select(TicketEntry)
            .where(TicketEntry.ticket_id.in_(wanted))
            .order_by(TicketEntry.ticket_id, TicketEntry.sent_at, TicketEntry.id)
        ):
            entries.setdefault(entry.ticket_id, []).append(entry)
        summaries = session.scalars(
            select(TicketSummaryEmail)
            .where(TicketSummaryEmail.ticket_id.in_(wanted))
            .order_by(TicketSummaryEmail.sent_at, TicketSummaryEmail.id)
        ).all()
        for ticket in tickets:
            yield Item(
                NAME,
                "support_ticket",
                f"ticket:{ticket.id}",
                f"Support ticket {ticket.reference}",
                {
                    "ticket_id": str(ticket.id),
                    **columns_of(ticket, _TICKET_COLUMNS),
                    "requester_employee_id": str(ticket.requester_employee_id)
                    if ticket.requester_employee_id
                    else None,
                    "about_pupil_id": str(ticket.about_pupil_id) if ticket.about_pupil_id else None,
                    "entries": [
                        columns_of(e, ("sent_at", "kind", "author_name", "author_role", "body"))
                        for e in entries.get(ticket.id, [])
                    ],
                },
                occurred_on=ticket.opened_at.date(),
            )
        references = {ticket.id: ticket.reference for ticket in tickets}
        for email in summaries:
            yield Item(
                NAME,
                "support_email",
                f"ticket_email:{email.id}",
                email.subject,
                {
                    "ticket_reference": references.get(email.ticket_id),
                    **columns_of(email, ("sent_at", "to_email", "subject", "body")),
                },
                occurred_on=email.sent_at.date(),
            )


SOURCE = HelpdeskSource()
