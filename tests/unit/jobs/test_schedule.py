"""The periodic upkeep, enqueued by RQ's cron scheduler and run by a real worker."""

from __future__ import annotations

import socket
from datetime import timedelta

from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import update

from app.db import new_uuid, utcnow
from app.jobs import Job, JobStatus, enqueue
from app.jobs.schedule import PERIODIC, build_scheduler
from tests.unit.jobs import tasks  # noqa: F401  (registers the test tasks)


def _closed_redis_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{probe.getsockname()[1]}/0"


def test_scheduler_registers_every_periodic_task(redis_url):
    connection = Redis.from_url(redis_url)
    scheduler = build_scheduler(connection)
    assert {job.name for job in scheduler.get_jobs()} == set(PERIODIC)


def test_scheduled_repair_dispatches_a_stranded_job_which_then_runs(app, db_session, redis_url):
    # Redis was down when the job's transaction committed: it is stranded.
    app.config["REDIS_URL"] = _closed_redis_url()
    job = enqueue("test.audit", new_uuid())
    db_session.commit()
    db_session.execute(
        update(Job).where(Job.id == job.id).values(created_at=utcnow() - timedelta(minutes=30))
    )
    db_session.commit()
    app.config["REDIS_URL"] = redis_url

    connection = Redis.from_url(redis_url)
    enqueued = build_scheduler(connection).enqueue_jobs()
    assert {cron.name for cron in enqueued} == set(PERIODIC)

    # The first burst runs the upkeep, which queues the stranded job; the
    # second runs that job.
    worker_queues = [Queue("default", connection=connection)]
    SimpleWorker(worker_queues, connection=connection).work(burst=True)
    SimpleWorker(worker_queues, connection=connection).work(burst=True)
    db_session.expire_all()
    assert db_session.get(Job, job.id).status == JobStatus.SUCCEEDED


def test_scheduler_command_refuses_without_redis(app):
    app.config["REDIS_URL"] = None
    result = app.test_cli_runner().invoke(args=["scheduler"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output
