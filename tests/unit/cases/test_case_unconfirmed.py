"""Unconfirmed requests are withdrawn after 7 days, by a daily job."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases import services
from app.cases.models import Case, CaseStatus
from app.cases.unconfirmed import MAIL_CATEGORY, withdraw_unconfirmed
from app.extensions import db
from app.jobs.schedule import PERIODIC
from app.mail.models import OutboxMessage
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


def _outbox(category: str = MAIL_CATEGORY) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.category == category).order_by(OutboxMessage.created_at)
    return list(db.session.scalars(query))


def test_withdraw_unconfirmed_queues_one_email_to_the_address_given(app, db_session, school):
    app.config["SMTP_URL"] = None  # keep mail in the outbox table
    case = new_case(
        school,
        confirm=False,
        received_on=date(2024, 9, 12),
        requester_name="Jo Requester",
        requester_email="jo.requester@example.net",
        subject_name="Riley Pupilname",
        description="All the attendance records for my daughter.",
    )

    assert withdraw_unconfirmed(TODAY) == 1
    db_session.commit()

    [message] = _outbox()
    assert message.recipients == "jo.requester@example.net"
    assert message.subject == "Your data protection request has been closed"
    for body in (message.text_body, message.html_body):
        assert "Dear Jo Requester," in body
        assert "within 7 days" in body and "closed the request" in body
        assert "Nothing more will happen" in body
        assert "http://localhost/" in body
        for private in ("Riley", "Pupilname", "attendance", "2015", school.name, "SAR-"):
            assert private not in body
    assert "http://localhost/\n" in message.text_body
    assert 'href="http://localhost/"' in message.html_body
    assert case.reference is None
    assert [event.data for event in case.events if event.kind == "mail_sent"] == [{"category": MAIL_CATEGORY}]


def test_withdraw_unconfirmed_emails_nobody_for_cases_it_leaves_alone(app, db_session, school):
    app.config["SMTP_URL"] = None
    new_case(school, confirm=False, received_on=date(2024, 9, 13))  # 7 days: not yet
    new_case(school, received_on=date(2024, 9, 1), requester_email="c@example.net")  # confirmed
    withdrawn = new_case(school, confirm=False, received_on=date(2024, 9, 1), requester_email="d@example.net")
    services.withdraw(withdrawn, None)  # withdrawn some other way already
    db_session.commit()

    assert withdraw_unconfirmed(TODAY) == 0
    db_session.commit()

    assert _outbox() == []


def test_withdraw_unconfirmed_run_again_sends_one_email_per_request(app, db_session, school):
    app.config["SMTP_URL"] = None
    new_case(school, confirm=False, received_on=date(2024, 9, 1), requester_email="a@example.net")
    new_case(school, confirm=False, received_on=date(2024, 9, 2), requester_email="b@example.net")

    assert withdraw_unconfirmed(TODAY) == 2
    db_session.commit()
    assert withdraw_unconfirmed(TODAY) == 0
    db_session.commit()
    assert PERIODIC["cases.withdraw_unconfirmed"].run() == "0 unconfirmed request(s) withdrawn"
    db_session.commit()

    assert sorted(message.recipients for message in _outbox()) == ["a@example.net", "b@example.net"]


def test_withdraw_unconfirmed_rolled_back_leaves_neither_withdrawal_nor_email(app, db_session, school):
    app.config["SMTP_URL"] = None
    case = new_case(school, confirm=False, received_on=date(2024, 9, 1))
    case_id = case.id

    assert withdraw_unconfirmed(TODAY) == 1
    db_session.rollback()  # e.g. the job crashed before its commit

    assert db_session.get(Case, case_id).status is CaseStatus.SUBMITTED
    assert _outbox() == []
    assert withdraw_unconfirmed(TODAY) == 1  # the next run does it all, once
    db_session.commit()
    assert db_session.get(Case, case_id).status is CaseStatus.WITHDRAWN
    assert len(_outbox()) == 1


def test_withdraw_unconfirmed_keeps_the_request_when_its_email_cannot_be_queued(
    app, db_session, school, monkeypatch
):
    app.config["SMTP_URL"] = None
    case = new_case(school, confirm=False, received_on=date(2024, 9, 1))
    case_id = case.id

    def outbox_down(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(services, "send_mail", outbox_down)
    with pytest.raises(RuntimeError):
        withdraw_unconfirmed(TODAY)
    db_session.rollback()  # as the scheduler's run_periodic does on an error

    assert db_session.get(Case, case_id).status is CaseStatus.SUBMITTED
    assert _outbox() == []
