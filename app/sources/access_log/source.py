"""The access log as a Source: who viewed or changed the person's records
(folded into one item per record per academic year, as a log can be long),
the records the person viewed or changed themselves (a member of staff is
the actor of the log's entries about pupils and colleagues: that they
looked, and when, is their personal data too; one item per kind of actor
per academic year, kept apart from who looked at their own records), and
the support-access permissions the person gave."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import String, not_, or_, select
from sqlalchemy.orm import Session

from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from app.sources.consent.source import person_clause, person_params
from app.sources.items import academic_year_of, ids_param, sorted_ids, values_of
from app.sources.protocol import Candidate, Identity, Item, Match

NAME = "access_log"
_ENTRY_COLUMNS = ("occurred_at", "actor_kind", "actor_name", "actor_email", "action", "area")
# An entry the person made: when, as whom (which of their addresses), what
# they did, where, and whose record (the kind and its number, never a name).
_ACTED_COLUMNS = ("occurred_at", "actor_kind", "actor_email", "action", "area", "person_kind", "person_id")
# How an item of the entries a person made is titled, by the kind of actor.
_ACTED_AS = {"school_user": "Records viewed or changed as a member of staff"}
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
        if not match.organisation_ids:
            return
        if match.pupil_ids or match.contact_ids or match.employee_ids:
            yield from _entries(session, person_params(match))
        if match.emails:
            yield from _acted(session, {**person_params(match), "emails": sorted(match.emails)})
        if not (match.emails or match.employee_ids):
            return
        grants = session.execute(
            _GRANTS,
            {
                "emails": sorted(match.emails),
                "employees": sorted_ids(match.employee_ids),
                "orgs": sorted_ids(match.organisation_ids),
            },
        )
        for row in grants:
            grant_id, ticket_id, granted_at = row[0], row[1], row[2]
            yield Item(
                NAME,
                "support_access",
                f"support_grant:{grant_id}",
                "Permission given to support staff",
                {
                    "grant_id": str(grant_id),
                    "ticket_id": str(ticket_id) if ticket_id else None,
                    **values_of(_GRANT_COLUMNS, row[3:]),
                },
                occurred_on=granted_at.date(),
            )


def _entries(session: Session, params: dict[str, Any]) -> Iterator[Item]:
    grouped: dict[tuple[str, uuid.UUID, str], list[dict[str, Any]]] = {}
    first: dict[tuple[str, uuid.UUID, str], datetime] = {}
    for row in session.execute(_ENTRIES, params):
        kind, person_id, occurred_at = row[0], row[1], row[2]
        key = (kind.value, person_id, academic_year_of(occurred_at.date()))
        entries = grouped.get(key)
        if entries is None:
            entries = grouped[key] = []
            first[key] = occurred_at
        entries.append(values_of(_ENTRY_COLUMNS, row[2:]))
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
                "entries": entries,
            },
            occurred_on=first[(kind, person_id, year)].date(),
        )


def _acted(session: Session, params: dict[str, Any]) -> Iterator[Item]:
    """The entries naming the person as the one who viewed or changed a
    record (by the addresses of the match), other than their own records'
    (those are in ``_entries``), an item per kind of actor per academic year."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    first: dict[tuple[str, str], datetime] = {}
    for row in session.execute(_ACTED, params):
        occurred_at, actor_kind = row[0], row[1]
        key = (actor_kind, academic_year_of(occurred_at.date()))
        entries = grouped.get(key)
        if entries is None:
            entries = grouped[key] = []
            first[key] = occurred_at
        entries.append(values_of(_ACTED_COLUMNS, row))
    for (actor_kind, year), entries in grouped.items():
        yield Item(
            NAME,
            "access_log",
            f"access_log_actor:{actor_kind}:{year}",
            f"{_ACTED_AS.get(actor_kind, 'Records viewed or changed')}, {year}",
            {"academic_year": year, "entries": entries},
            occurred_on=first[(actor_kind, year)].date(),
        )


# The collect queries, built once (see ``app.sources.items``).
_L, _G = AccessLogEntry.__table__, SupportAccessGrant.__table__
_IN_ORGS = _L.c.organisation_id.in_(ids_param("orgs"))
_ENTRIES = (
    select(_L.c.person_kind, _L.c.person_id, *(_L.c[name] for name in _ENTRY_COLUMNS))
    .where(person_clause(_L.c.person_kind, _L.c.person_id), _IN_ORGS)
    .order_by(_L.c.person_kind, _L.c.person_id, _L.c.occurred_at, _L.c.id)
)
# By the actor's address (indexed), in the match's organisations; an entry
# about one of the person's own records is already in ``_ENTRIES``.
_ACTED = (
    select(*(_L.c[name] for name in _ACTED_COLUMNS))
    .where(
        _L.c.actor_email.in_(ids_param("emails", of=String())),
        _IN_ORGS,
        not_(person_clause(_L.c.person_kind, _L.c.person_id)),
    )
    .order_by(_L.c.actor_kind, _L.c.occurred_at, _L.c.id)
)
_GRANTS = (
    select(_G.c.id, _G.c.ticket_id, _G.c.granted_at, *(_G.c[name] for name in _GRANT_COLUMNS))
    .where(
        or_(
            _G.c.granted_by_email.in_(ids_param("emails", of=String())),
            _G.c.granted_by_employee_id.in_(ids_param("employees")),
        ),
        _G.c.organisation_id.in_(ids_param("orgs")),
    )
    .order_by(_G.c.granted_at, _G.c.id)
)


SOURCE = AccessLogSource()
