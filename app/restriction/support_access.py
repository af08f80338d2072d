"""Support access as a time-limited consent (the support policy: staff ask
for permission before looking at a user's record).

A school user grants a named support agent access for a stated purpose,
optionally on a helpdesk ticket, until an expiry (the policy states no
period, so ``DEFAULT_DAYS``; never more than ``MAX_DAYS``). The user, their
school's other users or an admin can revoke it at any time. Every use, one
support view of one record, needs a grant active at that moment and leaves
an ``AccessLogEntry`` naming the grant plus an audit event; an expired or
revoked grant is refused with a message saying which.

(Kept here, beside restriction, because it is the other limit on who may
look at a subject's records; the access log models stay in their source.)
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.accounts.scoping import can_see_organisation
from app.audit.services import record
from app.db import new_uuid, utcnow
from app.extensions import db
from app.restriction.services import RestrictionError
from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from app.sources.consent.services import Person, check_person
from app.sources.correspondence.models import PersonKind
from app.sources.employees.models import Employee
from app.sources.helpdesk.models import Ticket
from app.sources.validation import FieldError, has_control_characters

DEFAULT_DAYS = 7
MAX_DAYS = 30
DEFAULT_SCOPE = "The granting user's record"


class GrantRefused(PermissionError):
    """A use of a grant that is not active now; the message says why."""


def _text(
    value: object, field: str, limit: int, errors: dict[str, str], *, required: bool = True
) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = "This is required"
        return None
    if not isinstance(value, str) or len(value.strip()) > limit or has_control_characters(value):
        errors[field] = f"Use plain text under {limit} characters"
        return None
    return value.strip()


def grant(
    user: User,
    *,
    agent_name: object,
    purpose: object,
    ticket_id: uuid.UUID | None = None,
    scope: object = None,
    days: int | None = None,
    now: datetime | None = None,
) -> SupportAccessGrant:
    """A school user's permission for ``agent_name``; the caller commits."""
    if user.role is not Role.SCHOOL or user.organisation_id is None:
        raise PermissionError("only a school's own user can give support access to its records")
    now = now or utcnow()
    errors: dict[str, str] = {}
    agent = _text(agent_name, "agent_name", 200, errors)
    reason = _text(purpose, "purpose", 300, errors)
    area = _text(scope, "scope", 100, errors, required=False) or DEFAULT_SCOPE
    period = DEFAULT_DAYS if days is None else days
    if not isinstance(period, int) or not 1 <= period <= MAX_DAYS:
        errors["days"] = f"Give between 1 and {MAX_DAYS} days"
    if ticket_id is not None:
        owner = db.session.scalar(select(Ticket.organisation_id).where(Ticket.id == ticket_id))
        if owner != user.organisation_id:
            errors["ticket_id"] = "No such ticket for your organisation"
    if errors:
        raise RestrictionError(errors)
    given = SupportAccessGrant(
        id=new_uuid(),
        organisation_id=user.organisation_id,
        ticket_id=ticket_id,
        granted_by_name=user.name,
        granted_by_email=user.email,
        granted_by_employee_id=_employee_of(user),
        granted_by_user_id=user.id,
        agent_name=agent,
        purpose=reason,
        granted_at=now,
        expires_at=now + timedelta(days=period),
        scope=area,
    )
    db.session.add(given)
    record(
        "support_access.granted",
        actor_type="user",
        actor_id=user.id,
        object_type="support_access_grant",
        object_id=given.id,
        data={"days": period, "ticket_id": str(ticket_id) if ticket_id else None},
    )
    db.session.flush()
    return given


def revoke(given: SupportAccessGrant, user: User, *, now: datetime | None = None) -> SupportAccessGrant:
    """Withdraw a grant; withdrawing is as easy as giving. The caller commits."""
    if not can_see_organisation(user, given.organisation_id):
        raise PermissionError("not a grant of an organisation you work for")
    if given.revoked_at is not None:
        raise RestrictionError({"grant": "This permission was already withdrawn"})
    given.revoked_at = now or utcnow()
    given.revoked_by_user_id = user.id
    record(
        "support_access.revoked",
        actor_type="user",
        actor_id=user.id,
        object_type="support_access_grant",
        object_id=given.id,
    )
    db.session.flush()
    return given


def state(given: SupportAccessGrant, now: datetime | None = None) -> str:
    """``active``, ``expired`` (at or after ``expires_at``) or ``revoked``."""
    now = now or utcnow()
    if given.revoked_at is not None and given.revoked_at <= now:
        return "revoked"
    return "active" if now < given.expires_at else "expired"


def use(
    given: SupportAccessGrant,
    agent: User,
    *,
    person_kind: str,
    person_id: uuid.UUID,
    area: str,
    now: datetime | None = None,
) -> AccessLogEntry:
    """One support view of one record under ``given``; refused unless the
    grant is active now, names this agent and the record is the grant's
    organisation's. The caller commits (the log line and the view together)."""
    now = now or utcnow()
    current = state(given, now)
    if current == "revoked":
        raise GrantRefused("The user withdrew this permission; ask them again before looking at the record.")
    if current == "expired":
        raise GrantRefused("This permission has expired; ask the user again before looking at the record.")
    if agent.role is Role.SCHOOL or (agent.name or "").casefold() != given.agent_name.casefold():
        raise GrantRefused("This permission was given to another member of the support team.")
    kind = PersonKind(person_kind)
    try:
        check_person(Person(given.organisation_id, kind, person_id))
    except FieldError:
        raise GrantRefused("That record is not one of the organisation that gave this permission.") from None
    entry = AccessLogEntry(
        id=new_uuid(),
        organisation_id=given.organisation_id,
        occurred_at=now,
        actor_kind="support_agent",
        actor_name=agent.name,
        actor_email=agent.email,
        person_kind=kind,
        person_id=person_id,
        action="view",
        area=area[:60],
        grant_id=given.id,
    )
    db.session.add(entry)
    record(
        "support_access.used",
        actor_type="user",
        actor_id=agent.id,
        object_type="support_access_grant",
        object_id=given.id,
        data={"access_log_id": str(entry.id), "person_kind": kind.value, "person_id": str(person_id)},
    )
    db.session.flush()
    return entry


def grants_for(organisation_ids: Sequence[uuid.UUID] | None) -> Sequence[SupportAccessGrant]:
    """Newest first; ``None`` means every organisation (company staff)."""
    query = select(SupportAccessGrant).order_by(SupportAccessGrant.granted_at.desc())
    if organisation_ids is not None:
        query = query.where(SupportAccessGrant.organisation_id.in_(organisation_ids))
    return db.session.scalars(query).all()


def _employee_of(user: User) -> uuid.UUID | None:
    return db.session.scalar(
        select(Employee.id).where(
            Employee.organisation_id == user.organisation_id,
            func.lower(Employee.work_email) == user.email.lower(),
        )
    )
