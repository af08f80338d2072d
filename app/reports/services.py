"""The request register and the dashboard, computed from the cases a user
may see.

Each case's dates come from the clock (never the sort cache), the day it was
answered from its timeline (the first move to ``responded`` or ``refused``:
a refusal within the time limit is an answer in time), and the sources
searched from its gather runs. Three set-based queries whatever the number
of cases: the cases with their pauses and organisations, the answer dates,
the source counts.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.cases.clock_inputs import clock_for
from app.cases.models import Case, CaseEvent, CaseStatus, RequestType
from app.cases.queries import list_cases
from app.collect.models import RunStatus, SourceRun
from app.extensions import db

ANSWERED = frozenset({CaseStatus.RESPONDED, CaseStatus.REFUSED})
ENDED = frozenset({CaseStatus.RESPONDED, CaseStatus.REFUSED, CaseStatus.WITHDRAWN, CaseStatus.CLOSED})
OPEN_ORDER = (
    CaseStatus.SUBMITTED,
    CaseStatus.AWAITING_IDENTITY,
    CaseStatus.OPEN,
    CaseStatus.PAUSED,
    CaseStatus.GATHERING,
    CaseStatus.IN_REVIEW,
    CaseStatus.APPROVED,
    CaseStatus.EXECUTING,
)


@dataclass(frozen=True, slots=True)
class RegisterRow:
    id: uuid.UUID
    reference: str
    organisation_name: str
    request_type: str
    status: str
    received_on: date
    start_on: date
    due_on: date | None
    extended_on: date | None
    paused_days: int
    answered_on: date | None
    outcome: str
    on_time: bool | None  # None while unanswered
    sources_searched: int


@dataclass(frozen=True, slots=True)
class Filters:
    status: CaseStatus | None = None
    request_type: RequestType | None = None
    received_from: date | None = None
    received_to: date | None = None
    on_time: bool | None = None


def _answer_dates(case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, date]:
    if not case_ids:
        return {}
    to_status = CaseEvent.data["to"].as_string()
    rows = db.session.execute(
        select(CaseEvent.case_id, func.min(CaseEvent.at))
        .where(
            CaseEvent.case_id.in_(case_ids),
            CaseEvent.kind == "status_changed",
            to_status.in_([s.value for s in ANSWERED]),
        )
        .group_by(CaseEvent.case_id)
    )
    return {case_id: at.date() for case_id, at in rows}


def _sources_searched(case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not case_ids:
        return {}
    rows = db.session.execute(
        select(SourceRun.case_id, func.count())
        .where(SourceRun.case_id.in_(case_ids), SourceRun.status == RunStatus.DONE)
        .group_by(SourceRun.case_id)
    )
    return {case_id: count for case_id, count in rows}


def _outcome(case: Case, answered: date | None) -> str:
    if case.status is CaseStatus.REFUSED or (case.refusal_reason is not None and answered):
        reason = case.refusal_reason.value.replace("_", " ") if case.refusal_reason else ""
        return f"refused ({reason})" if reason else "refused"
    if case.status is CaseStatus.WITHDRAWN:
        return "withdrawn"
    if answered is not None:
        return "responded"
    return "open"


def request_register(user: User, filters: Filters | None = None, *, limit: int = 5000) -> list[RegisterRow]:
    """Every confirmed request the user may see, newest first."""
    filters = filters or Filters()
    query = list_cases(user, status=filters.status).options(
        joinedload(Case.organisation), selectinload(Case.pauses)
    )
    if filters.request_type is not None:
        query = query.where(Case.request_type == filters.request_type)
    if filters.received_from is not None:
        query = query.where(Case.received_on >= filters.received_from)
    if filters.received_to is not None:
        query = query.where(Case.received_on <= filters.received_to)
    query = query.order_by(None).order_by(Case.received_on.desc(), Case.reference.desc()).limit(limit)
    cases = db.session.scalars(query).unique().all()
    ids = [case.id for case in cases]
    answered = _answer_dates(ids)
    searched = _sources_searched(ids)
    rows = []
    for case in cases:
        result = clock_for(case)
        answered_on = answered.get(case.id)
        on_time = None if answered_on is None or result.due is None else answered_on <= result.due
        row = RegisterRow(
            id=case.id,
            reference=case.reference or "",
            organisation_name=case.organisation.name,
            request_type=case.request_type.value,
            status=case.status.value,
            received_on=case.received_on,
            start_on=result.start,
            due_on=result.due,
            extended_on=case.extended_on,
            paused_days=result.paused_days,
            answered_on=answered_on,
            outcome=_outcome(case, answered_on),
            on_time=on_time,
            sources_searched=searched.get(case.id, 0),
        )
        if filters.on_time is None or row.on_time is filters.on_time:
            rows.append(row)
    return rows


@dataclass(frozen=True, slots=True)
class MonthFigure:
    month: date  # the first of the month
    answered: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.answered if self.answered else None


@dataclass(frozen=True, slots=True)
class Dashboard:
    open_by_status: list[tuple[str, int]]
    due_this_week: list[RegisterRow]
    overdue: list[RegisterRow]
    on_time_by_month: list[MonthFigure]

    @property
    def open_total(self) -> int:
        return sum(count for _, count in self.open_by_status)


def _months_back(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def dashboard(user: User, today: date, *, months: int = 12) -> Dashboard:
    rows = request_register(user)
    return dashboard_from(rows, today, months=months)


def dashboard_from(rows: Iterable[RegisterRow], today: date, *, months: int = 12) -> Dashboard:
    """The figures from register rows (pure, so the rules are tested alone).

    "Due this week": still running and due within the next 7 days (today
    included); "overdue": still running and due before today.
    """
    rows = list(rows)
    running = [r for r in rows if CaseStatus(r.status) not in ENDED and r.answered_on is None]
    counts = Counter(r.status for r in running)
    open_by_status = [(s.value, counts[s.value]) for s in OPEN_ORDER if counts[s.value]]
    week_end = today + timedelta(days=6)
    due_this_week = sorted(
        (r for r in running if r.due_on is not None and today <= r.due_on <= week_end),
        key=lambda r: (r.due_on, r.reference),
    )
    overdue = sorted(
        (r for r in running if r.due_on is not None and r.due_on < today),
        key=lambda r: (r.due_on, r.reference),
    )
    figures = []
    for month in _months_back(today, months):
        in_month = [
            r
            for r in rows
            if r.answered_on is not None and r.answered_on.replace(day=1) == month and r.on_time is not None
        ]
        figures.append(MonthFigure(month, len(in_month), sum(1 for r in in_month if r.on_time)))
    return Dashboard(open_by_status, due_this_week, overdue, figures)
