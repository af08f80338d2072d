"""Two source jobs finishing at the same moment move the case once
(PostgreSQL: real concurrent transactions in two threads)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.cases.models import CaseStatus
from app.collect import gather, services
from app.collect.models import RunStatus, SourceRun
from tests.threads import run_together
from tests.unit.collect.factory import confirmed_amelia


def test_jobs_finishing_together_move_the_case_once(app, db_session, world, caseworker, monkeypatch):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: nothing runs concurrently there")
    case = confirmed_amelia(world, caseworker)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/4"  # queued, and left alone: this test runs them
    services.start_gather(case, caseworker)
    db_session.commit()
    last_two = ["pupils", "contacts"]
    db_session.execute(
        update(SourceRun)
        .where(SourceRun.case_id == case.id, SourceRun.source.not_in(last_two))
        .values(status=RunStatus.DONE, item_count=0)
    )
    db_session.commit()

    # Both jobs have collected their items and go to store them (close the
    # run, count what is left) at the same moment.
    both_collected = threading.Barrier(2, timeout=30)
    real_store = gather._store

    def store_together(*args):
        both_collected.wait()
        return real_store(*args)

    monkeypatch.setattr(gather, "_store", store_together)
    case_id = case.id  # the threads must not touch this session's objects

    def job(source: str) -> None:
        with app.app_context():
            gather.run_source(case_id, source)

    run_together(job, last_two)

    db_session.expire_all()
    assert case.status is CaseStatus.IN_REVIEW
    moves = db_session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == "case.status_changed")
    ).all()
    assert [event.data["to"] for event in moves].count("in_review") == 1
