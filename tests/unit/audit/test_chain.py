import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.audit.services import AuditDataError, event_hash, record, verify_chain
from app.db import new_uuid


def test_record_links_each_event_to_the_previous_one(db_session):
    first = record("case.created", object_type="case", object_id=new_uuid())
    second = record("case.status_changed", data={"to": "open"})
    db_session.commit()
    assert first.seq == 1 and second.seq == 2
    assert second.prev_hash == first.hash
    assert verify_chain().intact


def test_record_refuses_free_text_in_data(db_session):
    with pytest.raises(AuditDataError, match=r"data\.name"):
        record("case.created", data={"name": "Jane Smith"})
    with pytest.raises(AuditDataError):
        record("case.created", data={"email": "jane@example.org"})


def _tamper(db_session, sql: str, **params) -> None:
    """Change the audit table behind the application's back, as an attacker
    with database access would, by first switching the guards off."""
    bind = db_session.get_bind()
    if bind.dialect.name == "postgresql":
        db_session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        db_session.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        db_session.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
    db_session.execute(text(sql), params)
    db_session.commit()


def _chain_of(db_session, length: int) -> list[AuditEvent]:
    events = [record("test.step", data={"n": n}) for n in range(length)]
    db_session.commit()
    return events


def test_verify_names_an_edited_event(db_session):
    events = _chain_of(db_session, 5)
    _tamper(db_session, "UPDATE audit_events SET action = 'case.erased' WHERE seq = 3")
    report = verify_chain()
    assert not report.intact
    assert report.broken_seq == 3 and report.broken_id == events[2].id
    assert "hash" in report.reason


def test_verify_detects_a_deleted_event(db_session):
    _chain_of(db_session, 5)
    _tamper(db_session, "DELETE FROM audit_events WHERE seq = 2")
    report = verify_chain()
    assert report.broken_seq == 3
    assert "missing" in report.reason


def test_verify_detects_an_event_rewritten_with_a_recomputed_hash(db_session):
    _chain_of(db_session, 3)
    # An attacker who knows the algorithm rewrites event 2 and its own hash;
    # the next event still points at the original, so the link breaks.
    forged = db_session.scalars(select(AuditEvent).where(AuditEvent.seq == 2)).one()
    forged.action = "case.erased"
    new_hash = event_hash(forged)
    db_session.rollback()
    _tamper(
        db_session,
        "UPDATE audit_events SET action = 'case.erased', hash = :hash WHERE seq = 2",
        hash=new_hash,
    )
    report = verify_chain()
    assert report.broken_seq == 3
    assert "link" in report.reason


def test_verify_checks_across_batches(db_session):
    _chain_of(db_session, 12)
    assert verify_chain(batch_size=5).checked == 12
    _tamper(db_session, "UPDATE audit_events SET data = '{\"n\": 99}' WHERE seq = 11")
    assert verify_chain(batch_size=5).broken_seq == 11


def test_audit_verify_command_exits_zero_when_intact(app, db_session):
    _chain_of(db_session, 2)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "2 events checked" in result.output


def test_audit_verify_command_exits_one_naming_the_broken_event(app, db_session):
    events = _chain_of(db_session, 4)
    _tamper(db_session, "UPDATE audit_events SET actor_type = 'user' WHERE seq = 2")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"event #2 (id {events[1].id})" in result.output


def test_recorded_events_are_written_only_when_the_transaction_commits(db_session):
    record("test.kept", data={"n": 1})
    db_session.rollback()
    assert db_session.scalars(select(AuditEvent)).all() == []
    kept = record("test.kept", data={"n": 2})
    assert db_session.scalars(select(AuditEvent)).all() == []  # queued, not yet chained
    db_session.commit()
    [stored] = db_session.scalars(select(AuditEvent)).all()
    assert stored.id == kept.id and stored.seq == 1 and stored.data == {"n": 2}
    assert verify_chain().intact

