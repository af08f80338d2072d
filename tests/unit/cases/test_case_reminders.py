"""Daily reminders: 7, 3 and 1 working days before the reminder date, and
overdue; once per threshold per case, however often the job runs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.cases import assignment, clock_changes, services
from app.cases.models import CaseReminder
from app.cases.reminders import send_reminders
from app.jobs.schedule import PERIODIC
from app.mail import OutboxMessage
from tests.unit.cases.factory import opened_case


def _reminders(db_session) -> list[OutboxMessage]:
    return list(db_session.scalars(select(OutboxMessage).where(OutboxMessage.category == "case.reminder")))


def test_reminders_go_at_each_threshold_once(school, caseworker, db_session):
    school.internal_target_days = None
    case = opened_case(school, caseworker, received_on=date(2024, 11, 25))  # due 27 Dec 2024
    assignment.assign(case, caseworker, caseworker)
    db_session.commit()
    assert send_reminders(date(2024, 12, 11)) == 0
    assert send_reminders(date(2024, 12, 18)) == 1  # 5 working days left: the 7-day reminder
    assert send_reminders(date(2024, 12, 18)) == 0  # a re-run sends nothing
    assert send_reminders(date(2024, 12, 19)) == 0
    assert send_reminders(date(2024, 12, 23)) == 1  # 3 days
    assert send_reminders(date(2024, 12, 24)) == 1  # 1 day
    assert send_reminders(date(2024, 12, 27)) == 0  # still the 1-day threshold, already sent
    assert send_reminders(date(2024, 12, 30)) == 1  # overdue
    assert send_reminders(date(2024, 12, 31)) == 0
    db_session.commit()
    mails = _reminders(db_session)
    assert len(mails) == 4
    assert all(
        caseworker.email in mail.recipients and school.dp_contact_email in mail.recipients for mail in mails
    )
    assert {row.threshold for row in db_session.scalars(select(CaseReminder))} == {"7", "3", "1", "overdue"}


def test_earlier_internal_target_drives_reminders(school, caseworker, db_session):
    school.internal_target_days = 20  # 25 Nov + 20 = 15 Dec (Sunday), well before 27 Dec
    opened_case(school, caseworker, received_on=date(2024, 11, 25))
    assert send_reminders(date(2024, 12, 13)) == 1
    db_session.commit()
    assert "15 December 2024" in _reminders(db_session)[0].text_body


def test_unassigned_case_reminds_the_company_mailbox(app, school, caseworker, db_session):
    opened_case(school, caseworker, received_on=date(2024, 11, 25))
    send_reminders(date(2024, 12, 30))
    db_session.commit()
    assert app.config["MAIL_SENDER"].split("<")[-1].rstrip(">") in _reminders(db_session)[0].recipients


def test_paused_and_ended_cases_get_no_reminders(school, caseworker, db_session):
    paused = opened_case(school, caseworker, received_on=date(2024, 11, 25))
    clock_changes.pause(
        paused,
        caseworker,
        reason="other",
        question="?",
        asked_on=date(2024, 11, 26),
        today=date(2024, 11, 26),
    )
    ended = opened_case(school, caseworker, received_on=date(2024, 11, 25), requester_email="b@example.net")
    services.withdraw(ended, caseworker, asked_by="email")
    db_session.commit()
    assert send_reminders(date(2025, 1, 10)) == 0


def test_extension_starts_the_reminders_afresh(school, caseworker, db_session):
    school.internal_target_days = None
    case = opened_case(school, caseworker, received_on=date(2024, 11, 25))
    assert send_reminders(date(2024, 12, 24)) == 1
    clock_changes.extend(case, caseworker, reason="Complex.", today=date(2024, 12, 24))  # now due 25 Feb 2025
    db_session.commit()
    assert send_reminders(date(2025, 2, 24)) == 1


def test_reminders_are_a_daily_periodic_task(app, school, caseworker, db_session):
    assert PERIODIC["cases.reminders"].every_seconds == 86400
    assert "case reminder" in PERIODIC["cases.reminders"].run()
