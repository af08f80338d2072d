"""The support desk as a Source: tickets the person raised or that were
about them, with their chat transcripts and thread, and the summary emails
sent to the person's addresses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import String, select, union
from sqlalchemy.orm import Session

from app.sources.helpdesk.models import Ticket, TicketEntry, TicketSummaryEmail
from app.sources.items import ids_param, sorted_ids, values_of
from app.sources.protocol import Candidate, Identity, Item, Match

NAME = "helpdesk"
_TICKET_COLUMNS = (
    "reference", "opened_at", "closed_at", "channel", "status", "category", "subject", "requester_name",
    "requester_email", "assigned_agent",
)  # fmt: skip


class HelpdeskSource:
    name = NAME
    title = "Support desk: tickets, chat transcripts and summary emails"
    categories = ("support_ticket", "support_email")

    def find(self, session: Session, identity: Identity) -> list[Candidate]:
        return []  # holds tickets about people, not the people themselves

    def collect(self, session: Session, match: Match) -> Iterator[Item]:
        if not match.organisation_ids or not (match.emails or match.employee_ids or match.pupil_ids):
            return
        params = {
            "emails": sorted(match.emails),
            "employees": sorted_ids(match.employee_ids),
            "pupils": sorted_ids(match.pupil_ids),
            "orgs": sorted_ids(match.organisation_ids),
        }
        tickets = session.execute(_TICKETS, params).all()
        if not tickets:
            return
        entries: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for row in session.execute(_ENTRIES, params):
            entries.setdefault(row[0], []).append(values_of(_ENTRY_COLUMNS, row[1:]))
        summaries = session.execute(_SUMMARIES, params).all()
        for row in tickets:
            ticket_id, requester_employee_id, about_pupil_id = row[0], row[1], row[2]
            yield Item(
                NAME,
                "support_ticket",
                f"ticket:{ticket_id}",
                f"Support ticket {row.reference}",
                {
                    "ticket_id": str(ticket_id),
                    **values_of(_TICKET_COLUMNS, row[3:]),
                    "requester_employee_id": str(requester_employee_id) if requester_employee_id else None,
                    "about_pupil_id": str(about_pupil_id) if about_pupil_id else None,
                    "entries": entries.get(ticket_id, []),
                },
                occurred_on=row.opened_at.date(),
            )
        references = {row[0]: row.reference for row in tickets}
        for row in summaries:
            email_id, ticket_id = row[0], row[1]
            yield Item(
                NAME,
                "support_email",
                f"ticket_email:{email_id}",
                row.subject,
                {"ticket_reference": references.get(ticket_id), **values_of(_SUMMARY_COLUMNS, row[2:])},
                occurred_on=row.sent_at.date(),
            )


# The collect queries, built once (see ``app.sources.items``). The tickets
# that concern the match: one UNION of index lookups (requester email or
# employee record, the pupil a ticket was about, summaries sent to the
# person's emails); a list left empty matches nothing.
_T, _N, _S = Ticket.__table__, TicketEntry.__table__, TicketSummaryEmail.__table__
_ENTRY_COLUMNS = ("sent_at", "kind", "author_name", "author_role", "body")
_SUMMARY_COLUMNS = ("sent_at", "to_email", "subject", "body")
_IN_ORGS = _T.c.organisation_id.in_(ids_param("orgs"))
_MATCHED = union(
    select(_T.c.id.label("id")).where(_T.c.requester_email.in_(ids_param("emails", of=String())), _IN_ORGS),
    select(_S.c.ticket_id.label("id")).where(_S.c.to_email.in_(ids_param("emails", of=String()))),
    select(_T.c.id.label("id")).where(_T.c.requester_employee_id.in_(ids_param("employees")), _IN_ORGS),
    select(_T.c.id.label("id")).where(_T.c.about_pupil_id.in_(ids_param("pupils")), _IN_ORGS),
).subquery()
_WANTED = select(_T.c.id).where(_T.c.id.in_(select(_MATCHED.c.id)), _IN_ORGS)
_TICKETS = (
    select(
        _T.c.id,
        _T.c.requester_employee_id,
        _T.c.about_pupil_id,
        *(_T.c[name] for name in _TICKET_COLUMNS),
    )
    .where(_T.c.id.in_(_WANTED))
    .order_by(_T.c.opened_at, _T.c.id)
)
_ENTRIES = (
    select(_N.c.ticket_id, *(_N.c[name] for name in _ENTRY_COLUMNS))
    .where(_N.c.ticket_id.in_(_WANTED))
    .order_by(_N.c.ticket_id, _N.c.sent_at, _N.c.id)
)
_SUMMARIES = (
    select(_S.c.id, _S.c.ticket_id, *(_S.c[name] for name in _SUMMARY_COLUMNS))
    .where(_S.c.ticket_id.in_(_WANTED))
    .order_by(_S.c.sent_at, _S.c.id)
)


SOURCE = HelpdeskSource()
