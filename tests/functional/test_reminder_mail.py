"""Due-date reminders delivered by the in-process SMTP server: the message
staff receive names the company's internal target as such and keeps the
statutory date in view; each goes once."""

from __future__ import annotations

from datetime import date

from app.accounts.models import Role
from app.cases import assignment
from app.cases.reminders import send_reminders
from app.extensions import db
from tests.signin import make_organisation, make_user
from tests.unit.cases.factory import opened_case


def _text(received) -> str:
    return received.message.get_body(preferencelist=("plain",)).get_content()


def test_internal_target_missed_reaches_staff_without_calling_the_case_overdue(app, db_session, smtp):
    school = make_organisation("Rowan Primary")
    school.internal_target_days = 30
    caseworker, _secret = make_user("rowan.cw@example.org", Role.CASEWORKER)
    db_session.commit()
    case = opened_case(school, caseworker, received_on=date(2026, 1, 1))  # due Mon 2 Feb, target Sat 31 Jan
    assignment.assign(case, caseworker, caseworker)
    db_session.commit()
    for day in (date(2026, 1, 30), date(2026, 2, 1), date(2026, 2, 2), date(2026, 2, 2)):
        send_reminders(day)
        db.session.commit()
    reminders = [m for m in smtp.messages if caseworker.email in m.rcpt_tos]  # only reminders go to staff
    subjects = [m.message["Subject"] for m in reminders]
    assert subjects == [
        f"Due in 1 working day: request {case.reference}",  # with the internal target's 1-day reminder
        f"Internal target missed: request {case.reference}",  # Monday, not Sunday
    ]
    first, missed = reminders
    assert set(missed.rcpt_tos) == {caseworker.email, school.dp_contact_email}
    assert "The statutory due date is 2 February 2026" in _text(first)
    assert "company's internal target" in _text(first) and "31 January 2026" in _text(first)
    body = _text(missed)
    assert "not overdue" in body and "statutory due date is today, 2 February 2026" in body
    assert "Overdue" not in body and "statutory due date is 31 January" not in body
