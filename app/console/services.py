"""What the console shows, always through organisation scoping."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.accounts.scoping import get_in_scope, scope_query, sees_every_organisation
from app.cases.clock_inputs import clock_summary
from app.cases.models import Case
from app.cases.queries import list_cases
from app.db import utcnow
from app.extensions import db
from app.orgs.models import Organisation


@dataclass(frozen=True)
class CaseRow:
    """One line of the case list."""

    id: uuid.UUID
    reference: str
    request_type: str
    organisation_name: str
    status: str
    due_date: date | None
    days_left: int | None


def case_rows(user: User, *, today: date | None = None, limit: int = 500) -> list[CaseRow]:
    """The cases ``user`` may see, soonest statutory due date first. Due
    dates and days left are computed by the clock from each case's inputs."""
    today = today or utcnow().date()
    query = list_cases(user).options(joinedload(Case.organisation), selectinload(Case.pauses)).limit(limit)
    rows = []
    for case in db.session.scalars(query).unique():
        summary = clock_summary(case, today)
        due, left = summary.due, summary.working_days_left
        rows.append(
            CaseRow(
                id=case.id,
                reference=case.reference or "",
                request_type=case.request_type.value.replace("_", " "),
                organisation_name=case.organisation.name,
                status=case.status.value.replace("_", " "),
                due_date=due,
                days_left=left,
            )
        )
    return rows


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
