"""The runner's claim: the jobs one commit dispatches inline are claimed
together (one statement, one commit) before any of them runs; a task's
``on_claim`` is committed with the claim; ``async_commit`` tasks commit
without waiting for the WAL flush on PostgreSQL unless they ask otherwise."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from app.audit.models import AuditEvent
from app.db import new_uuid
from app.extensions import db
from app.jobs import Job, JobArgumentError, JobStatus, durable_commit, enqueue_many, relax_commit
from tests.unit.jobs import tasks


@pytest.fixture
def inline_app(app):
    # CI also runs the suite with REDIS_URL set; these tests are about inline runs.
    app.config["REDIS_URL"] = None
    tasks.claims_seen.clear()
    tasks.durable_ids.clear()
    return app


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _ran(db_session, object_id) -> int:
    return db_session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.object_id == object_id)
    )


def test_enqueue_many_writes_the_jobs_in_one_statement(inline_app, db_session):
    ids = [new_uuid() for _ in range(3)]
    inserts: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        if statement.startswith("INSERT INTO jobs"):
            inserts.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        jobs = enqueue_many("test.echo", [(object_id, n) for n, object_id in enumerate(ids)])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(inserts) == 1
    assert [job.args for job in jobs] == [[str(object_id), n] for n, object_id in enumerate(ids)]
    assert {job.status for job in jobs} == {JobStatus.QUEUED}
    with pytest.raises(JobArgumentError):
        enqueue_many("test.echo", [(new_uuid(),), ("Jane Smith lives at 1 High Street",)])


def test_jobs_of_one_commit_are_all_claimed_before_the_first_runs(inline_app, db_session):
    ids = [new_uuid() for _ in range(3)]
    jobs = enqueue_many("test.claimed", [(object_id,) for object_id in ids])
    db_session.commit()

    claims = [seen for seen in tasks.claims_seen if seen[0] == "claim"]
    runs = [seen for seen in tasks.claims_seen if seen[0] == "run"]
    assert [seen[1] for seen in claims] == ids and [seen[1] for seen in runs] == ids
    assert tasks.claims_seen.index(claims[-1]) < tasks.claims_seen.index(runs[0])
    # What ``on_claim`` returned reaches the task; its write was committed
    # with the claim, so another connection sees every job claimed.
    assert [seen[2] for seen in runs] == [f"claimed {object_id}" for object_id in ids]
    assert runs[0][3] == [("running", "claimed")] * 3
    for job in jobs:
        db_session.refresh(job)
        assert job.status is JobStatus.SUCCEEDED and job.attempts == 1, job.error
    assert all(_ran(db_session, object_id) == 1 for object_id in ids)


def test_an_on_claim_that_fails_fails_its_own_job_only(inline_app, db_session):
    ids = [new_uuid() for _ in range(3)]
    jobs = enqueue_many("test.claimed", [(ids[0],), (ids[1], True), (ids[2],)])
    db_session.commit()

    for job in jobs:
        db_session.refresh(job)
    assert [job.status for job in jobs] == [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.SUCCEEDED]
    assert jobs[1].error == "RuntimeError: claim refused" and jobs[1].attempts == 1
    assert jobs[1].started_at is not None and jobs[1].finished_at is not None
    assert [_ran(db_session, object_id) for object_id in ids] == [1, 0, 1]


def test_async_commit_tasks_commit_asynchronously_unless_made_durable(inline_app, db_session):
    quick, durable = new_uuid(), new_uuid()
    tasks.durable_ids.add(durable)
    at_commit: list[str | None] = []

    def before_commit(session) -> None:
        if session.in_transaction():
            at_commit.append(tasks.synchronous_commit())

    enqueue_many("test.claimed", [(quick,), (durable,)])
    event.listen(db.session, "before_commit", before_commit)
    try:
        db_session.commit()
    finally:
        event.remove(db.session, "before_commit", before_commit)

    expected = "off" if _postgres() else None
    # The shared claim is relaxed from its start.
    assert [seen[-1] for seen in tasks.claims_seen if seen[0] == "claim"] == [expected] * 2
    # The work is relaxed by the statement that marks the job succeeded,
    # after the task ran, unless the task asked for ``durable_commit``.
    on = "on" if _postgres() else None
    assert [seen[-1] for seen in tasks.claims_seen if seen[0] in ("run", "durable")] == [on] * 3
    # The caller's commit, the claim, the quick job's work, the durable one's.
    assert at_commit == [on, expected, expected, on]
    assert db_session.scalar(select(func.count()).select_from(Job).where(Job.status != "succeeded")) == 0


def test_durable_commit_outside_a_job_undoes_relax_commit(app, db_session):
    relax_commit()
    assert tasks.synchronous_commit() == ("off" if _postgres() else None)
    durable_commit()
    assert tasks.synchronous_commit() == ("on" if _postgres() else None)
    db_session.rollback()


def test_other_tasks_keep_synchronous_commits(inline_app, db_session):
    if not _postgres():
        pytest.skip("synchronous_commit is a PostgreSQL setting")
    seen: list[str] = []

    def before_commit(session) -> None:
        if session.in_transaction():
            seen.append(session.connection().exec_driver_sql("SHOW synchronous_commit").scalar())

    event.listen(db.session, "before_commit", before_commit)
    try:
        job = tasks.enqueue("test.audit", new_uuid())
        db_session.commit()
    finally:
        event.remove(db.session, "before_commit", before_commit)
    db_session.refresh(job)
    assert job.status is JobStatus.SUCCEEDED
    assert seen and set(seen) == {"on"}
