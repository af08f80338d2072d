"""Correspondence as a Source: messages the person sent, received, or was
tagged in. Bodies go out as they are; naming others is for review."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import String, func, literal, or_, select, union
from sqlalchemy.orm import Session

from app.sources.contacts.models import Contact
from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient
from app.sources.employees.models import Employee
from app.sources.items import ids_param, sorted_ids, values_of
from app.sources.protocol import Candidate, Identity, Item, Match
from app.sources.pupils.models import Pupil

NAME = "correspondence"


class CorrespondenceSource:
    name = NAME
    title = "Correspondence sent through the service"
    categories = ("correspondence",)

    def find(self, session: Session, identity: Identity) -> list[Candidate]:
        return []  # holds messages about people, not the people themselves

    def collect(self, session: Session, match: Match) -> Iterator[Item]:
        if not match.organisation_ids or not (
            match.emails or match.pupil_ids or match.contact_ids or match.employee_ids
        ):
            return
        params = {
            "emails": sorted(match.emails),
            "pupils": sorted_ids(match.pupil_ids),
            "contacts": sorted_ids(match.contact_ids),
            "employees": sorted_ids(match.employee_ids),
            "orgs": sorted_ids(match.organisation_ids),
        }
        messages = session.execute(_MESSAGES, params).all()
        if not messages:
            return
        recipients: dict[uuid.UUID, list[tuple[str, str | None, str]]] = {}
        for message_id, kind, name, email in session.execute(_RECIPIENTS, params):
            recipients.setdefault(message_id, []).append((kind, name, email))
        tagged: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for message_id, person_kind, person_id, name in session.execute(_TAGGED, params):
            tagged.setdefault(message_id, []).append(
                {"kind": person_kind.value, "id": str(person_id), "name": name}
            )
        emails = match.emails
        own = {str(i) for i in match.pupil_ids | match.contact_ids | match.employee_ids}
        for row in messages:
            message_id, sent_at, sender_email = row[0], row.sent_at, row.sender_email
            to = recipients.get(message_id, [])
            people = tagged.get(message_id, [])
            roles = []
            if sender_email and sender_email.lower() in emails:
                roles.append("sender")
            if any(email.lower() in emails for _, _, email in to):
                roles.append("recipient")
            if any(p["id"] in own for p in people):
                roles.append("named")
            yield Item(
                NAME,
                "correspondence",
                f"message:{message_id}",
                row.subject,
                {
                    "message_id": str(message_id),
                    **values_of(_MESSAGE_COLUMNS, row[1:]),
                    "recipients": [{"kind": kind, "name": name, "email": email} for kind, name, email in to],
                    "people_tagged": people,
                    "subject_is": roles,
                },
                occurred_on=sent_at.date(),
            )


# The collect queries, built once (see ``app.sources.items``). The messages
# that concern the match: one UNION of index lookups (sender email,
# recipient email, tagged person); a list left empty matches nothing.
_M, _R, _T = Message.__table__, MessageRecipient.__table__, MessagePerson.__table__
_P, _C, _E = Pupil.__table__, Contact.__table__, Employee.__table__
_MESSAGE_COLUMNS = ("sent_at", "channel", "sender_name", "sender_email", "subject", "body")
_MATCHED = union(
    select(_M.c.id.label("id")).where(
        _M.c.sender_email.in_(ids_param("emails", of=String())), _M.c.organisation_id.in_(ids_param("orgs"))
    ),
    select(_R.c.message_id.label("id")).where(_R.c.email.in_(ids_param("emails", of=String()))),
    select(_T.c.message_id.label("id")).where(
        or_(
            _T.c.pupil_id.in_(ids_param("pupils")),
            _T.c.contact_id.in_(ids_param("contacts")),
            _T.c.employee_id.in_(ids_param("employees")),
        )
    ),
).subquery()
_IN_MATCH = (_M.c.id.in_(select(_MATCHED.c.id)), _M.c.organisation_id.in_(ids_param("orgs")))
_MESSAGES = (
    select(_M.c.id, *(_M.c[name] for name in _MESSAGE_COLUMNS))
    .where(*_IN_MATCH)
    .order_by(_M.c.sent_at, _M.c.id)
)
_WANTED = select(_M.c.id).where(*_IN_MATCH)
_RECIPIENTS = (
    select(_R.c.message_id, _R.c.kind, _R.c.name, _R.c.email)
    .where(_R.c.message_id.in_(_WANTED))
    .order_by(_R.c.message_id, _R.c.kind.desc(), _R.c.id)
)
_TAGGED = (
    select(
        _T.c.message_id,
        _T.c.person_kind,
        func.coalesce(_T.c.pupil_id, _T.c.contact_id, _T.c.employee_id),
        func.coalesce(
            _P.c.preferred_forename + literal(" ") + _P.c.legal_surname,
            _P.c.legal_forename + literal(" ") + _P.c.legal_surname,
            _C.c.forename + literal(" ") + _C.c.surname,
            _E.c.forename + literal(" ") + _E.c.surname,
        ),
    )
    .select_from(
        _T.outerjoin(_P, _P.c.id == _T.c.pupil_id)
        .outerjoin(_C, _C.c.id == _T.c.contact_id)
        .outerjoin(_E, _E.c.id == _T.c.employee_id)
    )
    .where(_T.c.message_id.in_(_WANTED))
    .order_by(_T.c.message_id, _T.c.id)
)


SOURCE = CorrespondenceSource()
