"""``write_new_rows``: a submission's rows written without the unit of work,
exactly as a flush would write them, or by the flush itself when in doubt."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, inspect, select

from app.audit.models import AuditEvent
from app.audit.services import verify_chain
from app.cases import services as cases
from app.cases.models import Case, CaseEvent, CaseStatus
from app.intake import services
from app.intake.services import submit_request
from app.mail.models import OutboxMessage
from tests.signin import make_organisation
from tests.threads import run_together
from tests.unit.intake.test_intake_services import submission

# Differ between any two submissions, whichever way they were written.
PER_SUBMISSION = {"id", "created_at", "code_digest", "code_issued_at", "confirm_token_hash"}


@pytest.fixture
def school(db_session):
    school = make_organisation("Oak Hill Primary School")
    db_session.commit()
    return school


def _stored(db_session, case_id, mail_index):
    db_session.expunge_all()
    case = db_session.get(Case, case_id)
    columns = {c.key: getattr(case, c.key) for c in Case.__table__.columns if c.key not in PER_SUBMISSION}
    events = [(e.kind, e.data, e.actor_id) for e in case.events]
    mail = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)).all()[mail_index]
    assert mail.recipients == case.requester_email
    audit = db_session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id).order_by(AuditEvent.seq)
    ).all()
    return (
        columns,
        events,
        (mail.category, mail.sender, mail.subject.rstrip("0123456789"), mail.status, mail.attempts),
        [(a.action, a.actor_type, a.object_type, a.data) for a in audit],
    )


def _ordinary_flush(monkeypatch):
    monkeypatch.setattr(services, "_rows_for", lambda session, new: None)


def test_direct_rows_are_the_rows_a_flush_writes(db_session, school, monkeypatch):
    direct = submit_request(submission(school.id, requester_email="a@example.com"), ip=None)
    db_session.commit()
    _ordinary_flush(monkeypatch)
    flushed = submit_request(submission(school.id, requester_email="b@example.com"), ip=None)
    db_session.commit()

    direct_id, flushed_id = direct.id, flushed.id
    got, expected = _stored(db_session, direct_id, 0), _stored(db_session, flushed_id, 1)
    for different in ("requester_email", "duplicate_key"):
        assert got[0].pop(different) != expected[0].pop(different)
    assert got == expected
    assert verify_chain().intact


def test_direct_rows_leave_the_objects_persistent_as_a_flush_does(db_session, school):
    case = submit_request(submission(school.id), ip=None, today=date(2026, 3, 2))
    assert inspect(case).persistent and not db_session.new and not db_session.dirty
    assert all(inspect(item).persistent for item in case.events)
    assert case.reference is None and case.assignee is None
    flushes: list[object] = []
    event.listen(db_session(), "before_flush", lambda *args: flushes.append(args))
    # Changed afterwards in the same transaction: an UPDATE, not a second INSERT.
    cases.confirm(case)
    db_session.commit()
    assert flushes, "the change after the direct write went through the ordinary flush"
    case_id = case.id
    db_session.expunge_all()
    stored = db_session.get(Case, case_id)
    assert stored.status is CaseStatus.AWAITING_IDENTITY and stored.reference
    kinds = db_session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)).all()
    assert sorted(kinds) == ["mail_sent", "mail_sent", "mail_sent", "status_changed", "submitted"]


def test_anything_else_pending_goes_through_the_ordinary_flush(db_session, school):
    school.name = "Oak Hill Primary"  # a changed row the direct write does not handle
    flushes = []
    event.listen(db_session(), "before_flush", lambda *args: flushes.append(args))
    case = submit_request(submission(school.id), ip=None)
    db_session.commit()
    assert flushes
    case_id = case.id
    db_session.expunge_all()
    stored = db_session.get(Case, case_id)
    assert stored.organisation.name == "Oak Hill Primary" and len(stored.events) == 2


# A portability request naming where the data should go: its two sealed
# columns go in the same direct INSERT, not through the flush.
_WITH_DESTINATION = {
    "request_type": "portability",
    "destination_name": "Birch Academy",
    "destination_email": "admissions@birch.sch.example",
}


@pytest.mark.parametrize("changes", [{}, _WITH_DESTINATION], ids=["access", "portability_destination"])
def test_a_submission_takes_few_statements(db_session, school, changes):
    submit_request(submission(school.id, **changes), ip=None)  # warm: the first use compiles and checks out
    db_session.commit()
    engine = db_session.get_bind()
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        case = submit_request(submission(school.id, requester_email="c@example.com", **changes), ip=None)
        db_session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert case.destination_email == changes.get("destination_email")
    # Organisation, the rows (one WITH statement on PostgreSQL, which also
    # takes the audit chain's lock and reads its head; one INSERT per table
    # elsewhere, then the chain's head) and the audit INSERT. Duplicates are
    # looked for at confirmation.
    expected = 3 if engine.dialect.name == "postgresql" else 6
    assert len(statements) <= expected, statements


def test_a_value_left_to_its_default_goes_through_the_ordinary_flush(db_session, school):
    from app.mail import send_mail

    message = send_mail("sam@example.com", "Subject", "Body", category="test")
    message.attempts = None  # the flush puts the column default (0) in its place
    services.write_new_rows(db_session())
    db_session.commit()
    message_id = message.id
    db_session.expunge_all()
    assert db_session.get(OutboxMessage, message_id).attempts == 0


def test_a_parent_loaded_again_while_reading_does_not_flush_the_rows(db_session, school, monkeypatch):
    send_case_code = services.send_case_code

    def and_expire_the_school(case, **kwargs):
        send_case_code(case, **kwargs)
        db_session.expire(school)  # read again (SELECT) when its key is compared

    monkeypatch.setattr(services, "send_case_code", and_expire_the_school)
    case = submit_request(submission(school.id), ip=None)
    db_session.commit()
    assert db_session.scalars(select(Case.id)).all() == [case.id]


def test_concurrent_submissions_keep_one_unbroken_chain(app, db_session, school):
    # Each submission takes the chain's lock with its rows (PostgreSQL) and
    # chains its events at commit onto the head it read then.
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: nothing appends concurrently there")
    import threading

    from app.extensions import db

    school_id, writers, each = school.id, 5, 6
    start = threading.Barrier(writers, timeout=30)

    def writer(number: int) -> None:
        with app.test_request_context():
            start.wait()
            for index in range(each):
                email = f"w{number}.{index}@example.com"
                submit_request(submission(school_id, requester_email=email), ip=None)
                db.session.commit()
            db.session.remove()

    run_together(writer, range(writers), timeout=120)
    db_session.expire_all()
    assert len(db_session.scalars(select(Case)).all()) == writers * each
    assert verify_chain().intact
