"""The access log as a Source: who viewed or changed the person's records
(folded into one item per record per academic year, as a log can be long),
and the support-access permissions the person gave."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from app.sources.consent.source import person_filter
from app.sources.items import academic_year_of, columns_of, sorted_ids
from app.sources.protocol import Candidate, Identity, Item, Match

NAME = "access_log"
_ENTRY_COLUMNS = ("occurred_at", "actor_kind", "actor_name", "actor_email", "action", "area")
_GRANT_COLUMNS = (
    "granted_by_name", "granted_by_email", "agent_name", "granted_at", "expires_at", "revoked_at", "scope",
)  # fmt: skip


class AccessLogSource:
    name = NAME
    title = "Access log and support-access permissions"
    categories = ("access_log", "support_access")

    def find(self, session: Session, identity: Identity) -> list[Candidate]:
        return []  # the log names records, not people

    def collect(self, session: Session, match: Match) -> Iterator[Item]:
        orgs = sorted_ids(match.organisation_ids)
        if not orgs:
            return
        about = person_filter(AccessLogEntry.person_kind, AccessLogEntry.person_id, match)
        if about is not None:
            yield from _entries(session, about, orgs)
        given = []
        if match.emails:
            given.append(SupportAccessGrant.granted_by_email.in_(sorted(match.emails)))
        if match.employee_ids:
            given.append(SupportAccessGrant.granted_by_employee_id.in_(sorted_ids(match.employee_ids)))
        if given:
            for grant in session.scalars(
                select(SupportAccessGrant)
                .where(or_(*given), SupportAccessGrant.organisation_id.in_(orgs))
                .order_by(SupportAccessGrant.granted_at, SupportAccessGrant.id)
            ):
                yield Item(
                    NAME,
                    "support_access",
                    f"support_grant:{grant.id}",
                    "Permission given to support staff",
                    {
                        "grant_id": str(grant.id),
                        "ticket_id": str(grant.ticket_id) if grant.ticket_id else None,
                        **columns_of(grant, _GRANT_COLUMNS),
                    },
                    occurred_on=grant.granted_at.date(),
                )


def _entries(session: Session, about: Any, orgs: list[uuid.UUID]) -> Iterator[Item]:
    grouped: dict[tuple[str, uuid.UUID, str], list[AccessLogEntry]] = {}
    for entry in session.scalars(
        select(AccessLogEntry)
        .where(about, AccessLogEntry.organisation_id.in_(orgs))
        .order_by(
            AccessLogEntry.person_kind,
            AccessLogEntry.person_id,
            AccessLogEntry.occurred_at,
            AccessLogEntry.id,
        )
    ):
        year = academic_year_of(entry.occurred_at.date())
        grouped.setdefault((entry.person_kind.value, entry.person_id, year), []).append(entry)
    for (kind, person_id, year), entries in grouped.items():
        yield Item(
            NAME,
            "access_log",
            f"access_log:{kind}:{person_id}:{year}",
            f"Who accessed the record, {year}",
            {
                "person_kind": kind,
                "person_id": str(person_id),
                "academic_year": year,
                "entries": [columns_of(e, _ENTRY_COLUMNS) for e in entries],
            },
            occurred_on=entries[0].occurred_at.date(),
        )


SOURCE = AccessLogSource()
