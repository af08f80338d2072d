"""Answered cases close by themselves: when (the day before, the day after),
which answers (responses and refusals), what holds a case open (an email
not delivered), dry runs, the setting, the daily task, the CLI, and that
closing starts the retention of the case's copies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases import auto_close, services
from app.cases.lifecycle import move
from app.cases.models import Case, CaseEvent, CaseStatus
from app.cases.next_action import CaseState, next_action
from app.db import new_uuid, utcnow
from app.exports.retention import expired_cases
from app.extensions import db
from app.jobs.schedule import PERIODIC
from app.mail.models import OutboxMessage, OutboxStatus
from tests.unit.cases.factory import new_case, opened_case

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _answered(case: Case, days_ago: float, status: CaseStatus = CaseStatus.RESPONDED) -> Case:
    """``case`` answered ``days_ago`` days before ``NOW``."""
    if status is CaseStatus.RESPONDED:
        case.status = CaseStatus.APPROVED
        move(case, CaseStatus.RESPONDED)
    case.updated_at = NOW - timedelta(days=days_ago)
    db.session.commit()
    return case


def _refused(school, caseworker, days_ago: float) -> Case:
    case = opened_case(school, caseworker)
    services.refuse(case, caseworker, reason="manifestly_excessive", detail="The fifth request this month.")
    return _answered(case, days_ago, CaseStatus.REFUSED)


def _email(case: Case, status: OutboxStatus) -> None:
    message_id = new_uuid()
    db.session.add(
        OutboxMessage(
            id=message_id, case_id=case.id, category="pack.link", sender="desk@example.org",
            recipients="jo.parent@example.net", subject="Your response", text_body="Your response",
            message_id=f"<{message_id}@example.org>", status=status, attempts=1,
            last_error="550 mailbox unavailable" if status is OutboxStatus.FAILED else None,
            created_at=utcnow(),
        )
    )  # fmt: skip
    db.session.commit()


def test_close_answered_closes_a_response_answered_longer_ago_than_the_setting(school, db_session):
    case = _answered(new_case(school), days_ago=30.5)

    result = auto_close.close_answered(NOW)
    db.session.commit()

    assert [closed.case_id for closed in result.closed] == [case.id]
    assert result.closed[0].answered_at == NOW - timedelta(days=30.5)
    db.session.refresh(case)
    assert case.status is CaseStatus.CLOSED
    assert case.closed_at is not None
    event = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "status_changed")
        .order_by(CaseEvent.at.desc())
    ).first()  # fmt: skip
    assert event.actor_id is None
    assert event.data["to"] == "closed"
    assert event.data["automatic"] is True
    assert event.data["answered_days"] == 30
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cases.auto_closed")).one()
    assert audit.data["closed"] == 1


def test_close_answered_leaves_a_case_answered_within_the_setting(school, db_session):
    case = _answered(new_case(school), days_ago=29.9)

    result = auto_close.close_answered(NOW)
    db.session.commit()

    assert result.closed == []
    db.session.refresh(case)
    assert case.status is CaseStatus.RESPONDED
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cases.auto_closed")).all() == []


def test_close_answered_closes_a_refusal_too(school, caseworker, db_session):
    case = _refused(school, caseworker, days_ago=45)

    auto_close.close_answered(NOW)
    db.session.commit()

    db.session.refresh(case)
    assert case.status is CaseStatus.CLOSED


def test_close_answered_never_touches_cases_still_being_worked(school, caseworker, db_session):
    working = opened_case(school, caseworker)
    working.updated_at = NOW - timedelta(days=400)
    db.session.commit()

    assert auto_close.close_answered(NOW).closed == []
    db.session.refresh(working)
    assert working.status is CaseStatus.OPEN


@pytest.mark.parametrize("status", [OutboxStatus.FAILED, OutboxStatus.PENDING])
def test_close_answered_keeps_open_a_case_whose_email_is_not_delivered(school, db_session, status):
    held = _answered(new_case(school), days_ago=60)
    _email(held, status)
    delivered = _answered(new_case(school, requester_email="sam.other@example.net"), days_ago=60)
    _email(delivered, OutboxStatus.SENT)

    result = auto_close.close_answered(NOW)
    db.session.commit()

    assert [kept.case_id for kept in result.kept_for_mail] == [held.id]
    assert [closed.case_id for closed in result.closed] == [delivered.id]
    db.session.refresh(held)
    assert held.status is CaseStatus.RESPONDED
    assert "1 kept open" in str(result)


def test_close_answered_dry_run_changes_nothing(school, db_session):
    case = _answered(new_case(school), days_ago=31)

    result = auto_close.close_answered(NOW, dry_run=True)
    db.session.rollback()

    assert [closed.case_id for closed in result.closed] == [case.id]
    assert "would be closed" in str(result)
    db.session.refresh(case)
    assert case.status is CaseStatus.RESPONDED


def test_close_answered_follows_the_configured_days(app, school, db_session):
    app.config[auto_close.CONFIG_KEY] = 90
    case = _answered(new_case(school), days_ago=60)

    assert auto_close.close_answered(NOW).closed == []
    assert auto_close.closes_on(case) == (NOW + timedelta(days=30)).date()
    case.updated_at = NOW - timedelta(days=91)
    db.session.commit()
    assert [closed.case_id for closed in auto_close.close_answered(NOW).closed] == [case.id]


def test_closes_on_is_only_for_answered_cases(school, caseworker, db_session):
    assert auto_close.closes_on(opened_case(school, caseworker)) is None
    answered = _answered(new_case(school, requester_email="b@example.net"), days_ago=1)
    assert auto_close.closes_on(answered) == (NOW + timedelta(days=29)).date()


def test_next_action_on_an_answered_case_says_when_it_closes_by_itself():
    action = next_action(
        CaseState(status=CaseStatus.RESPONDED, closes_on=datetime(2026, 12, 24, tzinfo=UTC).date())
    )
    assert action.title == "Close the case"
    assert "closes by itself on 24 December 2026" in action.detail


def test_the_daily_task_closes_answered_cases_and_a_rerun_finds_them_closed(school, db_session):
    case = _answered(new_case(school), days_ago=31)
    case.updated_at = utcnow() - timedelta(days=31)
    db.session.commit()

    assert PERIODIC["cases.close_answered"].every_seconds == 86400
    assert PERIODIC["cases.close_answered"].run().startswith("1 case(s)")
    db.session.commit()
    assert PERIODIC["cases.close_answered"].run().startswith("0 case(s)")
    db.session.refresh(case)
    assert case.status is CaseStatus.CLOSED


def test_closing_by_itself_starts_the_retention_of_the_copies(school, db_session):
    case = _answered(new_case(school), days_ago=31)
    auto_close.close_answered(NOW)
    db.session.commit()
    closed_at = db.session.get(Case, case.id).closed_at

    _cutoff, due = expired_cases(closed_at + timedelta(days=31))
    assert case.id in [expired.id for expired in due]
    _cutoff, not_yet = expired_cases(closed_at + timedelta(days=29))
    assert case.id not in [expired.id for expired in not_yet]


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["retention", "close-answered", *args])


def test_cli_dry_run_lists_the_cases_and_closes_none(app, school, db_session):
    case = _answered(new_case(school), days_ago=31)
    case.updated_at = datetime(2026, 1, 5, 10, tzinfo=UTC)
    db.session.commit()

    result = _cli(app, "--dry-run", "--as-of", "2026-03-01")

    assert result.exit_code == 0, result.output
    assert f"would close {case.reference}, answered 2026-01-05" in result.output
    assert "1 case(s) answered before 2026-01-30 12:00 UTC would be closed" in result.output
    db.session.refresh(case)
    assert case.status is CaseStatus.RESPONDED


def test_cli_closes_and_names_the_cases_kept_for_mail(app, school, db_session):
    closing = _answered(new_case(school), days_ago=31)
    kept = _answered(new_case(school, requester_email="b@example.net"), days_ago=31)
    _email(kept, OutboxStatus.FAILED)
    for case in (closing, kept):
        case.updated_at = datetime(2026, 1, 5, 10, tzinfo=UTC)
    db.session.commit()

    result = _cli(app, "--as-of", "2026-03-01")

    assert result.exit_code == 0, result.output
    assert f"closed {closing.reference}, answered 2026-01-05" in result.output
    assert f"kept open, an email is not delivered: {kept.reference}" in result.output
    db.session.expire_all()
    assert db.session.get(Case, closing.id).status is CaseStatus.CLOSED
    assert db.session.get(Case, kept.id).status is CaseStatus.RESPONDED


def test_cli_refuses_a_date_that_is_not_one(app):
    result = _cli(app, "--as-of", "1 March")
    assert result.exit_code == 2
    assert "is not a date" in result.output
