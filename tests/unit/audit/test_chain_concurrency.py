"""Writers appending to the audit chain at the same moment never fork it
(PostgreSQL: real concurrent transactions; SQLite has one writer)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.audit.services import record, verify_chain
from app.extensions import db
from tests.threads import run_together

WRITERS = 6
EVENTS_EACH = 15


def test_concurrent_commits_keep_one_unbroken_chain(app, db_session):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: nothing appends concurrently there")
    start = threading.Barrier(WRITERS, timeout=30)

    def writer(number: int) -> None:
        with app.app_context():
            start.wait()
            for event in range(EVENTS_EACH):
                record("test.concurrent", data={"writer": number, "event": event})
                db.session.commit()
            db.session.remove()

    run_together(writer, range(WRITERS), timeout=120)

    db_session.expire_all()
    written = db_session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.concurrent")
    )
    assert written == WRITERS * EVENTS_EACH
    report = verify_chain()
    assert report.intact, report
    seqs = db_session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert seqs == list(range(1, len(seqs) + 1))
