"""The guarded transition table (DESIGN §4)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.lifecycle import TRANSITIONS, IllegalTransition, allowed_moves, move
from app.cases.models import CaseEvent, CaseStatus
from tests.unit.cases.factory import new_case

S = CaseStatus

LEGAL = (
    [
        ("access", S.SUBMITTED, S.AWAITING_IDENTITY),
        ("access", S.AWAITING_IDENTITY, S.OPEN),
        ("access", S.OPEN, S.GATHERING),
        ("access", S.GATHERING, S.IN_REVIEW),
        ("access", S.IN_REVIEW, S.APPROVED),
        ("access", S.APPROVED, S.RESPONDED),
        ("access", S.RESPONDED, S.CLOSED),
        ("access", S.OPEN, S.PAUSED),
        ("access", S.GATHERING, S.PAUSED),
        ("access", S.IN_REVIEW, S.PAUSED),
        ("access", S.REFUSED, S.CLOSED),
        ("erasure", S.APPROVED, S.EXECUTING),
        ("erasure", S.EXECUTING, S.RESPONDED),
        ("rectification", S.APPROVED, S.EXECUTING),
    ]
    + [
        ("access", status, ending)
        for status in (
            S.SUBMITTED,
            S.AWAITING_IDENTITY,
            S.OPEN,
            S.GATHERING,
            S.IN_REVIEW,
            S.APPROVED,
            S.PAUSED,
        )
        for ending in (S.REFUSED, S.WITHDRAWN)
    ]
    + [("rectification", S.EXECUTING, S.REFUSED), ("rectification", S.EXECUTING, S.WITHDRAWN)]
)


@pytest.mark.parametrize(("request_type", "before", "after"), LEGAL, ids=lambda v: getattr(v, "value", v))
def test_legal_move_changes_status_and_records_audit_and_timeline(
    school, db_session, request_type, before, after
):
    case = new_case(school, confirm=False, request_type=request_type)
    case.status = before
    case.resume_status = S.OPEN if before is S.PAUSED else None
    move(case, after)
    db_session.commit()
    assert case.status is after
    audit = db_session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == "case.status_changed")
    ).all()
    assert [(event.data["from"], event.data["to"]) for event in audit] == [(before.value, after.value)]
    timeline = db_session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "status_changed")
    ).all()
    assert len(timeline) == 1


@pytest.mark.parametrize("back", [S.OPEN, S.GATHERING, S.IN_REVIEW])
def test_paused_case_goes_back_only_where_it_came_from(school, db_session, back):
    case = new_case(school, confirm=False)
    case.status = back
    move(case, S.PAUSED)
    assert case.resume_status is back
    others = {S.OPEN, S.GATHERING, S.IN_REVIEW} - {back}
    for other in others:
        with pytest.raises(IllegalTransition, match=f"paused to {other.value}"):
            move(case, other)
    move(case, back)
    assert case.status is back and case.resume_status is None


def test_illegal_move_raises_naming_both_states(school, db_session):
    case = new_case(school, confirm=False)
    with pytest.raises(IllegalTransition, match="from submitted to responded") as error:
        move(case, S.RESPONDED)
    assert error.value.from_status is S.SUBMITTED and error.value.to_status is S.RESPONDED
    assert case.status is S.SUBMITTED


def test_access_request_is_not_executed_and_erasure_is_not_answered_before_execution(school, db_session):
    access = new_case(school, confirm=False)
    access.status = S.APPROVED
    with pytest.raises(IllegalTransition, match="only erasure and rectification"):
        move(access, S.EXECUTING)
    erasure = new_case(school, confirm=False, request_type="erasure", requester_email="x@example.net")
    erasure.status = S.APPROVED
    with pytest.raises(IllegalTransition, match="executed before the response"):
        move(erasure, S.RESPONDED)
    assert allowed_moves(erasure) == {S.EXECUTING, S.REFUSED, S.WITHDRAWN}


@pytest.mark.parametrize("ending", [S.REFUSED, S.WITHDRAWN])
def test_executing_erasure_is_neither_refused_nor_withdrawn(school, db_session, ending):
    erasure = new_case(school, confirm=False, request_type="erasure")
    erasure.status = S.EXECUTING
    assert allowed_moves(erasure) == {S.RESPONDED}
    with pytest.raises(IllegalTransition, match=f"from executing to {ending.value}: the erasure is being"):
        move(erasure, ending)
    assert erasure.status is S.EXECUTING


def test_ended_cases_cannot_move_on(school, db_session):
    assert TRANSITIONS[S.WITHDRAWN] == frozenset()
    assert TRANSITIONS[S.CLOSED] == frozenset()
    case = new_case(school, confirm=False)
    case.status = S.CLOSED
    with pytest.raises(IllegalTransition):
        move(case, S.OPEN)


def test_closing_sets_closed_at(school, db_session):
    case = new_case(school, confirm=False)
    case.status = S.RESPONDED
    move(case, S.CLOSED)
    assert case.closed_at is not None
