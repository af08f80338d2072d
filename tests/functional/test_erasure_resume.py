"""An erasure survives a worker killed mid-job (PostgreSQL and Redis, real
``flask worker`` processes), as the gather does (test_collect_resume).

The pupils store's job is made to hang half-way (the test locks the pupils
table: the job has deleted the SEND records, then its anonymising waits), the
worker is killed with SIGKILL, ``flask jobs repair`` marks the job failed
as abandoned, the erasure queues it again, and a fresh burst worker
finishes: the pupil record was never half-erased, every step ran once, the
case responded once with its certificate.
"""

from __future__ import annotations

import time

import pytest
from redis import Redis
from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import create_engine, func, select, text

from app.audit.models import AuditEvent
from app.cases.models import CaseStatus
from app.erasure import services
from app.erasure.models import ErasurePlan, ErasureStep, PlanStatus, StepState
from app.erasure.plan import build_plan
from app.jobs import Job, JobStatus
from app.rights.retention import ANONYMISED_NAME
from app.sources.pupils.models import Pupil, SendRecord
from tests.functional.test_collect_resume import _kill_hard, _wait_for, _worker
from tests.unit.erasure.factory import dpo, gathered_erasure
from tests.unit.sources.factories import build_world


@pytest.fixture
def rq_app(app, redis_url):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs PostgreSQL: concurrent worker processes and row locks")
    return app


def _send_count(db_session, pupil_id) -> int:
    return db_session.scalar(
        select(func.count()).select_from(SendRecord).where(SendRecord.pupil_id == pupil_id)
    )


def test_erasure_completes_once_after_worker_is_killed_mid_job(rq_app, db_session, redis_url, tmp_path):
    rq_app.config["REDIS_URL"] = None  # the gather inline, before the erasure
    actor = dpo()
    world = build_world(db_session, years=2)
    case = gathered_erasure(world, actor)
    plan = build_plan(case, actor)
    db_session.commit()
    services.approve(case, actor)
    db_session.commit()
    rq_app.config["REDIS_URL"] = redis_url
    services.execute(case, actor)
    db_session.commit()  # one job per store now waits in RQ, the pupils' first
    step_count = len(plan.steps)

    url = rq_app.config["SQLALCHEMY_DATABASE_URI"]
    blocker = create_engine(url, isolation_level="AUTOCOMMIT")
    observer = create_engine(url)
    hold = blocker.connect()
    hold.execute(text("BEGIN"))
    # Reads go on; the pupils job deletes the SEND records, then its update of
    # the pupil record waits here.
    hold.execute(text("LOCK TABLE pupils IN EXCLUSIVE MODE"))
    worker = _worker(rq_app, redis_url, tmp_path / "first")
    try:

        def job_waits_on_lock() -> bool:
            with observer.connect() as conn:
                return bool(
                    conn.scalar(
                        text(
                            "SELECT count(*) FROM pg_locks WHERE NOT granted"
                            " AND relation = 'pupils'::regclass"
                        )
                    )
                )

        _wait_for(job_waits_on_lock, "the pupils job to block on the pupils table")
        with observer.connect() as conn:
            waiting = conn.scalar(
                text(
                    "SELECT query FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        assert waiting.lstrip().upper().startswith("UPDATE PUPILS"), waiting  # after the SEND delete
        _kill_hard(worker)
    finally:
        if worker.poll() is None:
            _kill_hard(worker)
        with observer.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            conn.commit()
        hold.execute(text("ROLLBACK"))
        hold.close()
        blocker.dispose()
        observer.dispose()

    db_session.expire_all()
    # Nothing half-erased: the killed job's transaction took its SEND delete with it.
    pupil = db_session.get(Pupil, world.amelia.id)
    assert pupil.legal_forename == "Amelia" and pupil.anonymised_at is None
    assert _send_count(db_session, pupil.id) == 2
    pupil_steps = db_session.scalars(
        select(ErasureStep).where(ErasureStep.plan_id == plan.id, ErasureStep.source == "pupils")
    ).all()
    assert {step.state for step in pupil_steps} == {StepState.PLANNED}
    stuck_job = db_session.get(Job, pupil_steps[0].job_id)
    assert stuck_job.status is JobStatus.RUNNING
    assert db_session.get(ErasurePlan, plan.id).status is PlanStatus.EXECUTING

    redis = Redis.from_url(redis_url)
    StartedJobRegistry(queue=Queue("default", connection=redis)).cleanup(timestamp=time.time() + 3600)
    redis.close()
    repaired = rq_app.test_cli_runner().invoke(args=["jobs", "repair"])
    assert repaired.exit_code == 0, repaired.output
    # The repair both marks the killed job abandoned and queues it again.
    assert "1 abandoned job(s) marked failed" in repaired.output
    assert "1 interrupted job(s) queued again" in repaired.output
    db_session.expire_all()
    assert db_session.get(Job, stuck_job.id).status is JobStatus.QUEUED
    assert services.resume_abandoned() == []

    second = _worker(rq_app, redis_url, tmp_path / "second", "--burst")
    output, _ = second.communicate(timeout=180)
    assert second.returncode == 0, output[-3000:]

    db_session.expire_all()
    steps = db_session.scalars(select(ErasureStep).where(ErasureStep.plan_id == plan.id)).all()
    assert len(steps) == step_count and {step.state for step in steps} == {StepState.DONE}
    done = db_session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == "erasure.step_done")
    ).all()
    assert sorted(event.data["step"] for event in done) == sorted(str(step.id) for step in steps)
    pupil = db_session.get(Pupil, world.amelia.id)
    assert pupil.legal_forename == ANONYMISED_NAME and _send_count(db_session, pupil.id) == 0
    assert db_session.get(Job, stuck_job.id).attempts == 2
    finished = db_session.get(ErasurePlan, plan.id)
    assert finished.status is PlanStatus.DONE and finished.certificate_blob_id is not None
    db_session.refresh(case)
    assert case.status is CaseStatus.RESPONDED
    moves = db_session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == "case.status_changed")
    ).all()
    assert [event.data["to"] for event in moves].count("responded") == 1
    assert (
        db_session.scalar(select(func.count()).select_from(Job).where(Job.status != JobStatus.SUCCEEDED)) == 0
    )
