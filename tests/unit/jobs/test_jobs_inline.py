"""Jobs without Redis: recorded in the transaction, run inline after commit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.db import new_uuid, utcnow
from app.jobs import Job, JobStatus, enqueue, redispatch_stale, retry
from app.jobs.runner import execute
from tests.unit.jobs import tasks


@pytest.fixture
def inline_app(app):
    # CI also runs the suite with REDIS_URL set; these tests are about inline runs.
    app.config["REDIS_URL"] = None
    return app


def _events_for(db_session, object_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.object_id == object_id)
    return db_session.scalar(query)


def _jobs(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Job))


def test_enqueue_runs_job_after_commit_when_no_redis(inline_app, db_session):
    object_id = new_uuid()
    job = enqueue("test.audit", object_id, label="inline")
    assert job.status == JobStatus.QUEUED
    assert _events_for(db_session, object_id) == 0  # nothing runs before the commit

    db_session.commit()

    db_session.refresh(job)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.args == [str(object_id)] and job.kwargs == {"label": "inline"}
    assert job.attempts == 1 and job.progress == 100 and job.progress_message == "halfway"
    assert job.started_at is not None and job.finished_at >= job.started_at
    assert job.error is None and job.rq_job_id is None
    assert _events_for(db_session, object_id) == 1


def test_inline_job_marked_failed_with_error_when_task_raises(inline_app, db_session):
    object_id = new_uuid()
    job = enqueue(tasks.failing_task, object_id)
    db_session.commit()  # the caller's commit is not disturbed by the failure

    db_session.refresh(job)
    assert job.status == JobStatus.FAILED
    assert job.error == "RuntimeError: boom: something broke"
    assert job.finished_at is not None and job.attempts == 1
    # Progress reported before the failure is kept; the task's own work is not.
    assert (job.progress, job.progress_message) == (30, "before failing")
    assert _events_for(db_session, object_id) == 0


def test_enqueue_dispatches_nothing_when_transaction_rolls_back(inline_app, db_session):
    object_id = new_uuid()
    enqueue("test.audit", object_id)
    db_session.rollback()
    db_session.commit()

    assert _jobs(db_session) == 0
    assert _events_for(db_session, object_id) == 0


def test_enqueue_in_rolled_back_savepoint_is_dropped_while_outer_job_runs(inline_app, db_session):
    kept, dropped = new_uuid(), new_uuid()
    enqueue("test.audit", kept)
    savepoint = db_session.begin_nested()
    enqueue("test.audit", dropped)
    savepoint.rollback()
    db_session.commit()

    assert _events_for(db_session, kept) == 1
    assert _events_for(db_session, dropped) == 0
    assert _jobs(db_session) == 1


def test_enqueue_in_released_savepoint_waits_for_outer_commit(inline_app, db_session):
    object_id = new_uuid()
    with db_session.begin_nested():
        enqueue("test.audit", object_id)
    assert _events_for(db_session, object_id) == 0  # released, but not yet committed

    db_session.commit()
    assert _events_for(db_session, object_id) == 1


def test_job_arguments_arrive_as_ids_with_uuids_restored(inline_app, db_session):
    tasks.received.clear()
    object_id = new_uuid()
    enqueue("test.echo", object_id, 42, "SAR-2026-000123", None, True, as_of="2026-01-31")
    db_session.commit()

    assert tasks.received == [((object_id, 42, "SAR-2026-000123", None, True), {"as_of": "2026-01-31"})]


def test_progress_visible_to_others_while_job_runs(inline_app, db_session):
    job = enqueue("test.progress_probe")
    db_session.commit()

    db_session.refresh(job)
    assert job.status == JobStatus.SUCCEEDED, job.error


def test_progress_after_uncommitted_write_does_not_block_on_sqlite(inline_app, db_session):
    object_id = new_uuid()
    job = enqueue("test.write_then_progress", object_id)
    db_session.commit()

    db_session.refresh(job)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress_message == "after a write"
    assert _events_for(db_session, object_id) == 1


def test_job_enqueued_by_a_job_runs_after_its_parent_commits(inline_app, db_session):
    object_id = new_uuid()
    parent = enqueue("test.chain", object_id)
    db_session.commit()

    child = db_session.scalars(select(Job).where(Job.id != parent.id)).one()
    assert child.name == "test.audit" and child.status == JobStatus.SUCCEEDED
    assert _events_for(db_session, object_id) == 1


def test_execute_does_not_rerun_job_when_already_succeeded(inline_app, db_session):
    object_id = new_uuid()
    job = enqueue("test.audit", object_id)
    db_session.commit()

    outcome = execute(job.id)  # e.g. RQ delivering the same job twice
    assert outcome.status == JobStatus.SUCCEEDED
    db_session.refresh(job)
    assert job.attempts == 1
    assert _events_for(db_session, object_id) == 1


def test_retry_runs_failed_job_again_when_committed(inline_app, db_session):
    object_id = new_uuid()
    job = enqueue("test.flaky", object_id)
    db_session.commit()
    db_session.refresh(job)
    assert job.status == JobStatus.FAILED and job.error == "ConnectionError: first attempt fails"

    retry(job.id)
    db_session.commit()

    db_session.refresh(job)
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2 and job.error is None
    assert _events_for(db_session, object_id) == 1


def test_retry_refuses_job_when_already_succeeded(inline_app, db_session):
    job = enqueue("test.audit", new_uuid())
    db_session.commit()
    with pytest.raises(ValueError, match="succeeded"):
        retry(job.id)


def test_worker_command_refuses_when_redis_url_unset(inline_app):
    result = inline_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 1
    assert "REDIS_URL is not set" in result.output


def test_jobs_list_command_shows_failed_job_with_error(inline_app, db_session):
    enqueue("test.fail", new_uuid())
    db_session.commit()
    result = inline_app.test_cli_runner().invoke(args=["jobs", "list", "--status", "failed"])
    assert result.exit_code == 0
    assert "test.fail" in result.output and "RuntimeError: boom" in result.output


def test_fail_abandoned_marks_inline_job_failed_when_running_too_long(inline_app, db_session):
    stuck = enqueue("test.audit", new_uuid())
    recent = enqueue("test.audit", new_uuid())
    db_session.commit()
    stuck.status = recent.status = JobStatus.RUNNING
    stuck.started_at = utcnow() - timedelta(hours=2)
    recent.started_at = utcnow()
    db_session.commit()

    result = inline_app.test_cli_runner().invoke(args=["jobs", "repair"])
    assert result.exit_code == 0, result.output
    assert "1 abandoned job(s) marked failed" in result.output
    db_session.refresh(stuck)
    db_session.refresh(recent)
    assert stuck.status == JobStatus.FAILED and stuck.error.startswith("abandoned")
    assert recent.status == JobStatus.RUNNING


def test_redispatch_runs_inline_job_when_left_queued(inline_app, db_session):
    object_id = new_uuid()
    job = enqueue("test.audit", object_id)
    db_session.commit()
    job.status = JobStatus.QUEUED  # as if the process died before running it
    db_session.commit()

    assert [stale.id for stale in redispatch_stale(older_than=timedelta(0))] == [job.id]
    db_session.commit()
    db_session.refresh(job)
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2
