"""``flask retention sweep``: a table of rule, action and count; exit 2 for a bad date; every rule
applied through the command, the access log and a leaver's messages and tickets among them."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select, update

from app.db import utcnow
from app.extensions import db
from app.rights.models import RetentionRule
from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from app.sources.correspondence.models import MessagePerson, PersonKind
from app.sources.employees.models import Employee
from app.sources.helpdesk.models import Ticket
from tests.unit.rights import factory as make


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["retention", "sweep", *args])


def _rows(output: str) -> dict[str, tuple[str, int]]:
    """rule -> (action, count) from the printed table."""
    rows = {}
    for line in output.splitlines():
        fields = line.split()
        if len(fields) == 5 and fields[1] in ("delete", "anonymise"):
            rows[fields[0]] = (fields[1], int(fields[4].replace(",", "")))
    return rows


def _leaver(app) -> uuid.UUID:
    teacher = make.employee(make.school(), left=date(2024, 3, 15))
    db.session.commit()
    return teacher.id


def test_dry_run_prints_every_rule_and_changes_nothing(app):
    teacher_id = _leaver(app)
    result = _run(app, "--dry-run", "--as-of", "2024-04-15")
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing changed, as of 2024-04-15." in result.output
    rows = _rows(result.output)
    assert len(rows) == 11
    assert rows["employees_leavers"] == ("anonymise", 1)
    assert rows["correspondence_after_contract"] == ("delete", 0)
    db.session.expire_all()
    assert db.session.get(Employee, teacher_id).anonymised_at is None


def test_a_real_sweep_applies_and_commits(app):
    teacher_id = _leaver(app)
    result = _run(app, "--as-of", "2024-04-15")
    assert result.exit_code == 0, result.output
    assert _rows(result.output)["employees_leavers"] == ("anonymise", 1)
    db.session.remove()
    assert db.session.get(Employee, teacher_id).anonymised_at == date(2024, 4, 15)
    assert _rows(_run(app, "--as-of", "2024-04-15").output)["employees_leavers"] == ("anonymise", 0)


def test_the_day_before_the_period_ends_nothing_is_taken(app):
    _leaver(app)
    assert _rows(_run(app, "--as-of", "2024-04-14").output)["employees_leavers"] == ("anonymise", 0)


def test_without_as_of_the_sweep_runs_as_of_today(app):
    result = _run(app, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"as of {utcnow().date().isoformat()}." in result.output


@pytest.mark.parametrize("value", ["2024-13-01", "yesterday", "15/04/2024", ""])
def test_a_bad_as_of_is_refused_with_status_2(app, value):
    result = _run(app, "--as-of", value)
    assert result.exit_code == 2
    assert "is not a date; use YYYY-MM-DD" in result.output


def test_a_schedule_it_cannot_apply_exits_1_and_changes_nothing(app):
    teacher_id = _leaver(app)
    db.session.execute(update(RetentionRule).where(RetentionRule.code == "employees_leavers")
                       .values(store="pupils"))  # fmt: skip
    db.session.commit()
    result = _run(app, "--as-of", "2024-04-15")
    assert result.exit_code == 1
    assert "cannot be applied" in result.output and "employees_leavers" in result.output
    db.session.remove()
    assert db.session.get(Employee, teacher_id).anonymised_at is None


def test_a_leavers_messages_tickets_access_log_and_permissions_are_swept_by_the_command(app):
    org = make.school()
    teacher, pupil = make.employee(org, left=date(2024, 3, 15)), make.pupil(org)
    message = make.message(org, about=[pupil, teacher])
    make.entry(org, teacher)
    make.entry(org, pupil, actor=teacher)
    make.grant(org, teacher)
    ticket_id = make.ticket(org, requester=teacher).id
    db.session.commit()
    message_id = message.id
    dry = _run(app, "--dry-run", "--as-of", "2024-04-15")
    assert dry.exit_code == 0, dry.output
    expected = {
        "correspondence_of_leavers": ("anonymise", 1),
        "helpdesk_of_leavers": ("anonymise", 1),
        "access_log_after_records": ("delete", 1),
        "support_access_after_records": ("delete", 1),
    }
    assert {code: row for code, row in _rows(dry.output).items() if code in expected} == expected
    real = _run(app, "--as-of", "2024-04-15")
    assert real.exit_code == 0, real.output
    assert _rows(real.output) == _rows(dry.output)
    db.session.remove()
    # The message stays for the pupil in it; the teacher's look at the pupil
    # stays with the pupil's record.
    assert db.session.scalars(select(MessagePerson.person_kind).where(MessagePerson.message_id == message_id)
                              ).all() == [PersonKind.PUPIL]  # fmt: skip
    assert [entry.person_kind for entry in db.session.scalars(select(AccessLogEntry))] == [PersonKind.PUPIL]
    assert make.count(SupportAccessGrant) == 0
    ticket = db.session.get(Ticket, ticket_id)
    assert (ticket.requester_email, ticket.requester_employee_id) == (None, None)
