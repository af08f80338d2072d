"""Scoped reads of cases. Scoping is decided by ``app.accounts.scoping``; a
case outside the user's organisations is reported as not found.

Staff lists show confirmed cases only (those with a reference): an
unconfirmed submission is not yet a request anyone has to answer.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, case, func, select

from app.accounts.models import User
from app.accounts.scoping import NotInScope, can_see_organisation, scope_query
from app.cases.lifecycle import ACTIVE
from app.cases.models import Case, CaseStatus
from app.cases.references import looks_like_reference
from app.extensions import db


def list_cases(
    user: User, *, status: CaseStatus | str | None = None, answered: bool | None = None
) -> Select[Any]:
    """Cases ``user`` may see, soonest statutory due date first (cases with no
    due date, e.g. paused, last), ties broken by reference for stable paging.
    ``answered`` False keeps the requests still to be answered, True those
    answered or ended (the most recently received first)."""
    query = select(Case).where(Case.reference.is_not(None))
    if status is not None:
        query = query.where(Case.status == CaseStatus(status))
    if answered is False:
        query = query.where(Case.status.in_(ACTIVE))
    if answered:
        query = query.where(Case.status.not_in(ACTIVE)).order_by(
            Case.received_on.desc(), Case.reference.desc()
        )
    else:
        query = query.order_by(Case.due_on.is_(None), Case.due_on, Case.reference)
    return scope_query(query, user, Case.organisation_id)


def count_cases(user: User) -> tuple[int, int]:
    """How many cases ``user`` may see are still to be answered, and how
    many are answered or ended."""
    still_open = case((Case.status.in_(ACTIVE), 1), else_=0)
    query = select(func.coalesce(func.sum(still_open), 0), func.count()).where(Case.reference.is_not(None))
    to_answer, total = db.session.execute(scope_query(query, user, Case.organisation_id)).one()
    return int(to_answer), int(total) - int(to_answer)


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
