"""Who at the company works a case. Reminders go to the assignee (or, with
nobody assigned, the DPO mailbox), so assigning is also choosing who is
chased as the deadline nears."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.accounts.models import Role, User
from app.audit.services import record
from app.cases import lifecycle
from app.cases.models import Case
from app.extensions import db
from app.sources.validation import FieldError

COMPANY_ROLES = (Role.ADMIN, Role.CASEWORKER)


def assignable_staff() -> list[User]:
    """Active members of the company's team, by name."""
    query = select(User).where(User.role.in_(COMPANY_ROLES), User.is_active.is_(True)).order_by(User.name)
    return list(db.session.scalars(query))


def can_assign(actor: User) -> bool:
    return actor.role in COMPANY_ROLES


def assign(case: Case, actor: User, assignee: User | None) -> Case:
    """Give the case to a member of the company's team (or to nobody)."""
    if not can_assign(actor):
        # Schools see their cases but the company decides who works them.
        raise FieldError("assignee_id", "only the company's team assigns cases")
    if assignee is not None and (assignee.role not in COMPANY_ROLES or not assignee.is_active):
        raise FieldError("assignee_id", "cases are assigned to active members of the company's team")
    if case.assignee_id == (assignee.id if assignee else None):
        return case  # nothing changes: no event, no audit noise
    case.assignee_id = assignee.id if assignee else None
    data = {"assignee": assignee.id if assignee else None}
    record(
        "case.assigned",
        actor_type="user",
        actor_id=actor.id,
        object_type="case",
        object_id=case.id,
        data=data,
    )
    lifecycle.add_event(case, "assigned", actor, data)
    return case


def assign_by_id(case: Case, actor: User, assignee_id: uuid.UUID | None) -> Case:
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if assignee_id and assignee is None:
        raise FieldError("assignee_id", "no such member of the company's team")
    return assign(case, actor, assignee)
