"""Reminders watch the statutory due date and the company's earlier internal
target each on its own: the statutory date always gets its 7/3/1-day and
overdue reminders, the internal target is never called statutory, and its
passing is one notice that does not call the case overdue. No reminders
while the clock has not started."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.cases import clock_changes, evidence, services
from app.cases.reminders import send_reminders
from app.mail import OutboxMessage
from tests.unit.cases.factory import new_case, opened_case


def _run_daily(first: date, last: date) -> dict[date, OutboxMessage]:
    """Run the reminders each day from ``first`` to ``last``; the mail each day sent."""
    from app.extensions import db

    sent: dict[date, OutboxMessage] = {}
    day = first
    while day <= last:
        before = _ids()
        send_reminders(day)
        db.session.commit()
        new = [mail for mail in _mails() if mail.id not in before]
        assert len(new) <= 1, f"one message per case per day ({day})"
        if new:
            sent[day] = new[0]
        day += timedelta(days=1)
    return sent


def _mails() -> list[OutboxMessage]:
    from app.extensions import db

    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.category == "case.reminder")))


def _ids() -> set:
    return {mail.id for mail in _mails()}


def test_statutory_date_gets_its_own_reminders_when_internal_target_falls_on_a_weekend(school, caseworker):
    school.internal_target_days = 30
    opened_case(school, caseworker, received_on=date(2026, 1, 1))  # due Mon 2 Feb; target Sat 31 Jan
    sent = _run_daily(date(2026, 1, 1), date(2026, 2, 10))
    subjects = {day: mail.subject.split(":")[0] for day, mail in sent.items()}
    assert subjects == {
        date(2026, 1, 21): "Internal target in 7 working days",
        date(2026, 1, 22): "Due in 7 working days",
        date(2026, 1, 27): "Internal target in 3 working days",
        date(2026, 1, 28): "Due in 3 working days",
        date(2026, 1, 29): "Internal target in 1 working day",
        date(2026, 1, 30): "Due in 1 working day",
        date(2026, 2, 2): "Internal target missed",  # not on Sunday 1 Feb
        date(2026, 2, 3): "Overdue",
    }
    for day, mail in sent.items():
        assert "statutory due date is 31 January" not in mail.text_body
        assert "2 February 2026" in mail.text_body, day
    internal = [mail for mail in sent.values() if mail.subject.startswith("Internal")]
    assert all(
        "internal target" in mail.text_body and "31 January 2026" in mail.text_body for mail in internal
    )
    missed = sent[date(2026, 2, 2)]
    assert (
        "not overdue" in missed.text_body
        and "statutory due date is today, 2 February 2026" in missed.text_body
    )
    assert "Overdue" not in missed.subject + missed.text_body
    assert "The statutory due date was 2 February 2026" in sent[date(2026, 2, 3)].text_body


def test_extended_case_is_reminded_of_its_new_due_date(school, caseworker, db_session):
    school.internal_target_days = 30
    case = opened_case(school, caseworker, received_on=date(2026, 3, 2))  # target 1 April
    clock_changes.extend(case, caseworker, reason="Complex.", today=date(2026, 3, 20))  # due Tue 2 Jun
    db_session.commit()
    runs = [date(2026, 5, 20), date(2026, 5, 25), date(2026, 5, 26), date(2026, 5, 28)]
    runs += [date(2026, 6, 24) + timedelta(days=offset) for offset in range(10)]  # to 3 July
    sent = {}
    for day in runs:
        sent.update(_run_daily(day, day))
    subjects = {day: mail.subject.split(":")[0] for day, mail in sent.items()}
    assert subjects == {
        date(2026, 5, 20): "Internal target missed",
        date(2026, 5, 25): "Due in 6 working days",  # the 7-day reminder (25 May is a bank holiday)
        date(2026, 5, 28): "Due in 3 working days",
        date(2026, 6, 24): "Overdue",
    }
    assert "1 April 2026" in sent[date(2026, 5, 20)].text_body
    assert all("2 June 2026" in mail.text_body for mail in sent.values())


def test_both_reminders_due_the_same_day_go_in_one_message(school, caseworker):
    school.internal_target_days = 30
    opened_case(school, caseworker, received_on=date(2026, 1, 1))
    sent = _run_daily(date(2026, 1, 30), date(2026, 1, 30))  # first run: both at their 1-day threshold
    [mail] = sent.values()
    assert mail.subject.startswith("Due in 1 working day")
    assert "The statutory due date is 2 February 2026" in mail.text_body
    assert "internal target for request" in mail.text_body and "31 January 2026" in mail.text_body
    assert _run_daily(date(2026, 1, 30), date(2026, 1, 31)) == {}


def test_case_waiting_for_proof_of_identity_gets_no_reminders(school, caseworker):
    school.internal_target_days = None
    waiting = new_case(school, received_on=date(2024, 11, 25))
    evidence.request_identity(waiting, caseworker)
    # Not asked for proof (yet): the acknowledgement's date, 27 Dec, stands.
    undecided = new_case(school, received_on=date(2024, 11, 25), requester_email="b@example.net")
    sent = _run_daily(date(2024, 12, 16), date(2025, 1, 10))
    assert {mail.case_id for mail in sent.values()} == {undecided.id}
    assert [mail.subject.split(":")[0] for mail in sent.values()] == [
        "Due in 7 working days",
        "Due in 3 working days",
        "Due in 1 working day",
        "Overdue",
    ]


def test_reminders_count_from_the_uk_calendar_day_after_midnight_bst(school, caseworker, monkeypatch):
    school.internal_target_days = None
    opened_case(school, caseworker, received_on=date(2026, 6, 1))  # due Wed 1 July
    # 00:30 BST on 1 July: still 30 June in UTC, but the due day in the UK.
    monkeypatch.setattr(services, "utcnow", lambda: datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    assert send_reminders() == 1
    [mail] = _mails()
    assert mail.subject.startswith("Due today")
