"""Support access as a time-limited consent (the support policy: staff ask
for permission before looking at a user's record).

A school user grants a named member of the support team access for a stated
purpose, optionally on a helpdesk ticket, until an expiry (the policy states
no period, so ``DEFAULT_DAYS``; never more than ``MAX_DAYS``). The user,
their school's other users or company staff can revoke it at any time.
Every use, one support look at one record, needs a grant active at that
moment and leaves an ``AccessLogEntry`` naming the grant plus an audit
event; a grant not active then is refused with a message saying why.

It lives with the access log because the log is its evidence: who looked,
under which permission.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select

from app.accounts.models import Role, User
from app.accounts.scoping import can_see_organisation, get_in_scope
from app.audit.services import record
from app.db import new_uuid, utcnow
from app.extensions import db
from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from app.sources.consent.services import Person, check_person
from app.sources.correspondence.models import PersonKind
from app.sources.employees.models import Employee
from app.sources.helpdesk.models import Ticket
from app.sources.validation import FieldError, has_control_characters

DEFAULT_DAYS = 7
MAX_DAYS = 30
DEFAULT_SCOPE = "The granting user's record"
MAX_AREA = 60
# The policy says support never changes a user's record, so a grant covers
# looking only; "update" (the log's fourth action) is never recorded here.
LOOKING_ACTIONS = ("view", "print", "export")
SUPPORT_ROLES = (Role.ADMIN, Role.CASEWORKER)

ACTIVE, EXPIRED, REVOKED, NOT_YET_VALID = "active", "expired", "revoked", "not_yet_valid"
STATES = (ACTIVE, EXPIRED, REVOKED, NOT_YET_VALID)


class GrantError(ValueError):
    """Bad input: ``errors`` maps each field to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class GrantRefused(PermissionError):
    """A use the grant does not cover at that moment; the message says why."""


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


def support_member(email: object) -> User | None:
    """The active company staff account with this email, if any."""
    if not isinstance(email, str) or not email.strip():
        return None
    return db.session.scalar(
        select(User).where(
            func.lower(User.email) == email.strip().lower(),
            User.role.in_(SUPPORT_ROLES),
            User.is_active.is_(True),
        )
    )


def _agent(agent_name: object, agent_email: object, errors: dict[str, str]) -> tuple[str | None, User | None]:
    """The agent's name and support account: the account the email names
    (the console asks for it), else the name as written (the API's older
    field), with the one account of that name if there is exactly one."""
    if agent_email is None or agent_email == "":
        if agent_name is None or agent_name == "":
            errors["agent_email"] = "Give the email of the member of the support team"
            return None, None
        name = _text(agent_name, "agent_name", 200, errors)
        return name, (_only_member_named(name) if name else None)
    member = support_member(agent_email)
    if member is None:
        errors["agent_email"] = "No member of the support team has this email"
        return None, None
    named = _text(agent_name, "agent_name", 200, errors, required=False)
    if named is not None and named.casefold() != member.name.casefold():
        errors["agent_name"] = "This is not the name of the support team member with that email"
    return member.name, member


def _only_member_named(name: str) -> User | None:
    members = db.session.scalars(
        select(User)
        .where(func.lower(User.name) == name.lower(), User.role.in_(SUPPORT_ROLES), User.is_active.is_(True))
        .limit(2)
    ).all()
    return members[0] if len(members) == 1 else None


def _ticket(user: User, ticket_id: object, reference: object, errors: dict[str, str]) -> uuid.UUID | None:
    if ticket_id is None and (reference is None or reference == ""):
        return None
    query = select(Ticket.id).where(Ticket.organisation_id == user.organisation_id)
    if ticket_id is not None:
        found = db.session.scalar(query.where(Ticket.id == ticket_id))
        field = "ticket_id"
    else:
        text = _text(reference, "ticket_reference", 20, errors)
        found = db.session.scalar(query.where(func.upper(Ticket.reference) == text.upper())) if text else None
        field = "ticket_reference"
    if found is None and field not in errors:
        errors[field] = "No such ticket for your organisation"
    return found


def grant(
    user: User,
    *,
    purpose: object,
    agent_name: object = None,
    agent_email: object = None,
    ticket_id: uuid.UUID | None = None,
    ticket_reference: object = None,
    scope: object = None,
    days: object = None,
    now: datetime | None = None,
) -> SupportAccessGrant:
    """A school user's permission for one member of the support team; the
    caller commits."""
    if user.role is not Role.SCHOOL or user.organisation_id is None:
        raise PermissionError("only a school's own user can give support access to its records")
    now = now or utcnow()
    errors: dict[str, str] = {}
    agent, agent_account = _agent(agent_name, agent_email, errors)
    reason = _text(purpose, "purpose", 300, errors)
    area = _text(scope, "scope", 100, errors, required=False) or DEFAULT_SCOPE
    period = DEFAULT_DAYS if days is None else days
    if isinstance(period, bool) or not isinstance(period, int) or not 1 <= period <= MAX_DAYS:
        errors["days"] = f"Give between 1 and {MAX_DAYS} days"
    ticket = _ticket(user, ticket_id, ticket_reference, errors)
    if errors:
        raise GrantError(errors)
    given = SupportAccessGrant(
        id=new_uuid(),
        organisation_id=user.organisation_id,
        ticket_id=ticket,
        granted_by_name=user.name,
        granted_by_email=user.email,
        granted_by_employee_id=_employee_of(user),
        granted_by_user_id=user.id,
        agent_name=agent,
        agent_user_id=agent_account.id if agent_account else None,
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
        data={"days": period, "ticket_id": str(ticket) if ticket else None},
    )
    db.session.flush()
    return given


def revoke(given: SupportAccessGrant, user: User, *, now: datetime | None = None) -> SupportAccessGrant:
    """Withdraw a grant; withdrawing is as easy as giving. The caller commits."""
    if not can_see_organisation(user, given.organisation_id):
        raise PermissionError("not a grant of an organisation you work for")
    if given.revoked_at is not None:
        raise GrantError({"grant_id": "This permission was already withdrawn"})
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
    """One of ``STATES`` at ``now``: expired at or after ``expires_at``."""
    now = now or utcnow()
    if given.revoked_at is not None and given.revoked_at <= now:
        return REVOKED
    if now < given.granted_at:
        return NOT_YET_VALID
    return ACTIVE if now < given.expires_at else EXPIRED


_REFUSALS = {
    REVOKED: "The user withdrew this permission; ask them again before looking at the record.",
    EXPIRED: "This permission has expired; ask the user again before looking at the record.",
    NOT_YET_VALID: "This permission does not start yet; wait until it does or ask the user again.",
}


def _names(given: SupportAccessGrant, agent: User) -> bool:
    """Whether the grant is this agent's: by account when it names one;
    otherwise by name, and only while no other support account has it (two
    namesakes could otherwise use each other's permissions)."""
    if given.agent_user_id is not None:
        return given.agent_user_id == agent.id
    if (agent.name or "").casefold() != given.agent_name.casefold():
        return False
    only = _only_member_named(given.agent_name)
    return only is not None and only.id == agent.id


def use(
    given: SupportAccessGrant,
    agent: User,
    *,
    person_kind: str | PersonKind,
    person_id: uuid.UUID,
    area: str,
    action: str = "view",
    now: datetime | None = None,
) -> AccessLogEntry:
    """One support look at one record under ``given``; refused unless the
    grant is active now, names this agent and the record is the grant's
    organisation's. The caller commits (the log line and the look together)."""
    now = now or utcnow()
    current = state(given, now)
    if current != ACTIVE:
        raise GrantRefused(_REFUSALS[current])
    if agent.role not in SUPPORT_ROLES or not _names(given, agent):
        raise GrantRefused("This permission was given to another member of the support team.")
    errors: dict[str, str] = {}
    where = _text(area, "area", MAX_AREA, errors)
    if action not in LOOKING_ACTIONS:
        errors["action"] = "Support only looks at a record: use " + ", ".join(LOOKING_ACTIONS)
    try:
        kind = PersonKind(person_kind)
    except ValueError:
        errors["person_kind"] = "Not a kind of record"
    if errors:
        raise GrantError(errors)
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
        action=action,
        area=where,
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


def grant_in_scope(user: User, grant_id: uuid.UUID) -> SupportAccessGrant:
    """Raises ``NotInScope`` for a grant of an organisation ``user`` may not see."""
    return get_in_scope(SupportAccessGrant, grant_id, user)


def grants_query(organisation_ids: Sequence[uuid.UUID] | None) -> Select[tuple[SupportAccessGrant]]:
    """Newest first (ties broken by id); ``None`` means every organisation
    (company staff): pass ``organisation_ids_for(user)``."""
    query = select(SupportAccessGrant).order_by(SupportAccessGrant.granted_at.desc(), SupportAccessGrant.id)
    if organisation_ids is not None:
        query = query.where(SupportAccessGrant.organisation_id.in_(organisation_ids))
    return query


def uses_query(
    organisation_ids: Sequence[uuid.UUID] | None, grant_id: uuid.UUID | None = None
) -> Select[tuple[AccessLogEntry]]:
    """Access-log entries made under a grant (one grant's, when given) in
    these organisations (``None``: all), newest first; ties broken by id so
    pages never repeat a row."""
    query = (
        select(AccessLogEntry)
        .where(AccessLogEntry.grant_id.is_not(None))
        .order_by(AccessLogEntry.occurred_at.desc(), AccessLogEntry.id)
    )
    if organisation_ids is not None:
        query = query.where(AccessLogEntry.organisation_id.in_(organisation_ids))
    if grant_id is not None:
        query = query.where(AccessLogEntry.grant_id == grant_id)
    return query


def uses_by_grant(grant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[AccessLogEntry]]:
    """Each grant's uses, newest first (for a page of grants)."""
    found: dict[uuid.UUID, list[AccessLogEntry]] = {grant_id: [] for grant_id in grant_ids}
    if grant_ids:
        query = uses_query(None).where(AccessLogEntry.grant_id.in_(grant_ids))
        for entry in db.session.scalars(query):
            assert entry.grant_id is not None  # selected by it
            found[entry.grant_id].append(entry)
    return found


def _employee_of(user: User) -> uuid.UUID | None:
    return db.session.scalar(
        select(Employee.id).where(
            Employee.organisation_id == user.organisation_id,
            func.lower(Employee.work_email) == user.email.lower(),
        )
    )
