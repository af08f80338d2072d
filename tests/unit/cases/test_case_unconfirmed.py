"""Unconfirmed requests are withdrawn after 7 days, by a daily job."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import CaseStatus
from app.cases.unconfirmed import withdraw_unconfirmed
from app.extensions import db
from app.jobs.schedule import PERIODIC
from tests.unit.cases.factory import new_case

TODAY = date(2024, 9, 20)


def test_withdraw_unconfirmed_moves_only_submitted_cases_older_than_7_days(db_session, school):
    stale = new_case(school, confirm=False, received_on=date(2024, 9, 12))  # 8 days ago
    fresh = new_case(school, confirm=False, received_on=date(2024, 9, 13), requester_email="b@example.net")
    confirmed = new_case(school, received_on=date(2024, 9, 1), requester_email="c@example.net")

    assert withdraw_unconfirmed(TODAY) == 1
    db_session.commit()

    assert stale.status is CaseStatus.WITHDRAWN and stale.closed_at is not None
    assert fresh.status is CaseStatus.SUBMITTED
    assert confirmed.status is CaseStatus.AWAITING_IDENTITY
    moves = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.status_changed", AuditEvent.object_id == stale.id)
    ).all()
    assert [(event.data["from"], event.data["to"]) for event in moves] == [("submitted", "withdrawn")]
    assert any(event.kind == "withdrawn_unconfirmed" for event in stale.events)


def test_withdraw_unconfirmed_run_again_changes_nothing(db_session, school):
    new_case(school, confirm=False, received_on=date(2024, 9, 1))
    assert withdraw_unconfirmed(TODAY) == 1
    db_session.commit()
    assert withdraw_unconfirmed(TODAY) == 0
    assert withdraw_unconfirmed(date(2024, 12, 1)) == 0


def test_withdraw_unconfirmed_runs_daily_from_the_scheduler(db_session, school):
    case = new_case(school, confirm=False, received_on=date(2020, 1, 6))
    periodic = PERIODIC["cases.withdraw_unconfirmed"]
    assert periodic.every_seconds == 86400
    assert periodic.run() == "1 unconfirmed request(s) withdrawn"
    db.session.commit()
    assert case.status is CaseStatus.WITHDRAWN
