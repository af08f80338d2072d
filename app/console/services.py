"""What the console shows, always through organisation scoping."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.accounts.models import User
from app.accounts.scoping import get_in_scope, scope_query, sees_every_organisation
from app.extensions import db
from app.orgs.models import Organisation


@dataclass(frozen=True)
class CaseRow:
    """One line of the case list. Cases arrive with the intake issue, which
    replaces ``case_rows`` with a scoped query over its Case model."""

    id: uuid.UUID
    reference: str
    request_type: str
    organisation_name: str
    status: str
    due_date: date | None
    days_left: int | None


def case_rows(user: User, *, today: date | None = None) -> list[CaseRow]:
    """The cases ``user`` may see, most urgent first (none exist yet)."""
    return []


def organisations_for(user: User) -> Sequence[Organisation]:
    query = select(Organisation).order_by(Organisation.name)
    return db.session.scalars(scope_query(query, user, Organisation.id)).all()


def organisation_for(user: User, organisation_id: uuid.UUID) -> Organisation:
    """One organisation, or ``NotInScope`` (shown as 404) outside the user's."""
    return get_in_scope(Organisation, organisation_id, user, "id")


def member_schools(user: User, trust: Organisation) -> Sequence[Organisation]:
    """A trust's schools that ``user`` may see (all of them, for a trust's user)."""
    query = select(Organisation).where(Organisation.trust_id == trust.id).order_by(Organisation.name)
    return db.session.scalars(scope_query(query, user, Organisation.id)).all()


def scope_description(user: User) -> str:
    if sees_every_organisation(user):
        return "all organisations"
    return user.organisation.name if user.organisation else "no organisation"
