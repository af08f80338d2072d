"""Scoped reads of cases. Scoping is decided by ``app.accounts.scoping``; a
case outside the user's organisations is reported as not found.

Staff lists show confirmed cases only (those with a reference): an
unconfirmed submission is not yet a request anyone has to answer.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select

from app.accounts.models import User
from app.accounts.scoping import NotInScope, can_see_organisation, scope_query
from app.cases.models import Case, CaseStatus
from app.cases.references import looks_like_reference
from app.extensions import db


def list_cases(user: User, *, status: CaseStatus | str | None = None) -> Select[Any]:
    """Cases ``user`` may see, soonest statutory due date first (cases with no
    due date, e.g. paused, last), ties broken by reference for stable paging."""
    query = select(Case).where(Case.reference.is_not(None))
    if status is not None:
        query = query.where(Case.status == CaseStatus(status))
    query = query.order_by(Case.due_on.is_(None), Case.due_on, Case.reference)
    return scope_query(query, user, Case.organisation_id)


def get_case(user: User, reference: str) -> Case:
    """One case by reference, or ``NotInScope``."""
    if not looks_like_reference(reference):
        raise NotInScope("no such case")
    found = db.session.scalars(select(Case).where(Case.reference == reference)).first()
    return _visible(user, found)


def get_case_by_id(user: User, case_id: uuid.UUID) -> Case:
    found = db.session.get(Case, case_id)
    if found is not None and found.reference is None:
        found = None
    return _visible(user, found)


def _visible(user: User, found: Case | None) -> Case:
    if found is None or not can_see_organisation(user, found.organisation_id):
        raise NotInScope("no such case")
    return found
