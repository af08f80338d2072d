"""A case refused while a clarifying question is open: the pause ends with
the refusal, so the answered and then closed case keeps a due date."""

from __future__ import annotations

from datetime import date

from app.cases import clock_changes, services
from app.cases.clock_inputs import clock_for
from app.cases.models import CaseStatus
from tests.unit.cases.factory import opened_case


def test_refusal_while_paused_ends_the_pause_and_the_closed_case_keeps_its_due_date(
    school, caseworker, db_session
):
    case = opened_case(school, caseworker, received_on=date(2026, 10, 1))
    clock_changes.pause(
        case,
        caseworker,
        reason="clarify_scope",
        question="Which years?",
        asked_on=date(2026, 10, 5),
        today=date(2026, 10, 6),
    )
    services.refuse(case, caseworker, reason="manifestly_excessive", detail="The tenth request this month.")
    services.close(case, caseworker)
    db_session.commit()
    assert case.status is CaseStatus.CLOSED
    assert case.open_pause is None and case.pauses[0].answered_on is not None
    result = clock_for(case)
    assert result.paused_now is False and result.due is not None
    assert case.due_on == result.due
