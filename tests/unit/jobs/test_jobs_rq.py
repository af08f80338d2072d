"""Jobs on RQ with a real Redis and real workers (in-process and ``flask worker``)."""

from __future__ import annotations

import base64
import binascii
import os
import socket
import subprocess
import sys
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job as RQJob
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.db import new_uuid
from app.jobs import Job, JobStatus, enqueue, fail_abandoned, redispatch_stale, retry
from tests.conftest import environ_for_tests
from tests.unit.jobs import tasks  # noqa: F401  (registers the test tasks)

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def rq_app(app, redis_url):
    app.config["REDIS_URL"] = redis_url
    return app


@pytest.fixture
def redis(redis_url):
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


def _work(redis: Redis, *queues: str) -> None:
    queue_list = [Queue(name, connection=redis) for name in (queues or ("default",))]
    SimpleWorker(queue_list, connection=redis).work(burst=True)


def _events_for(db_session, object_id) -> int:
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.object_id == object_id)
    return db_session.scalar(query)


def _redis_text(redis: Redis) -> bytes:
    """Every value Redis holds, whatever the key's type, as one blob (RQ
    compresses some fields, so their decompressed form is added too)."""
    parts: list[bytes] = []
    for key in redis.scan_iter():
        kind = redis.type(key).decode()
        if kind == "string":
            parts.append(redis.get(key) or b"")
        elif kind == "hash":
            parts.extend(k + b"=" + v for k, v in redis.hgetall(key).items())
        elif kind == "list":
            parts.extend(redis.lrange(key, 0, -1))
        elif kind == "set":
            parts.extend(redis.smembers(key))
        elif kind == "zset":
            parts.extend(redis.zrange(key, 0, -1))
        elif kind == "stream":
            for _id, fields in redis.xrange(key):
                parts.extend(k + b"=" + v for k, v in fields.items())
    return b"\n".join(parts + [_inflated(part.partition(b"=")[2] or part) for part in parts])


def _inflated(value: bytes) -> bytes:
    for decode in (lambda v: v, base64.b64decode):
        try:
            return zlib.decompress(decode(value))
        except (zlib.error, binascii.Error, ValueError):
            continue
    return b""


def test_rq_job_dispatched_only_after_commit_then_run_by_worker(rq_app, db_session, redis):
    object_id = new_uuid()
    job = enqueue("test.audit", object_id)
    queue = Queue("default", connection=redis)
    assert queue.count == 0  # not before the commit

    db_session.commit()
    assert queue.count == 1
    assert job.rq_job_id == str(job.id)

    _work(redis)

    db_session.refresh(job)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.progress, job.progress_message, job.attempts) == (100, "halfway", 1)
    assert _events_for(db_session, object_id) == 1
    meta = RQJob.fetch(job.rq_job_id, connection=redis).get_meta()
    assert meta["job_id"] == str(job.id) and meta["progress"] == 50 and meta["progress_message"] == "halfway"


def test_rq_enqueue_sends_nothing_when_transaction_rolls_back(rq_app, db_session, redis):
    enqueue("test.audit", new_uuid())
    db_session.rollback()
    db_session.commit()
    assert Queue("default", connection=redis).count == 0
    assert db_session.scalar(select(func.count()).select_from(Job)) == 0


def test_rq_failure_marks_job_failed_and_lands_in_failed_registry(rq_app, db_session, redis):
    object_id = new_uuid()
    job = enqueue("test.fail", object_id)
    db_session.commit()

    _work(redis)

    db_session.refresh(job)
    assert job.status == JobStatus.FAILED
    assert job.error == "RuntimeError: boom: something broke"
    assert (job.progress, job.progress_message) == (30, "before failing")
    assert _events_for(db_session, object_id) == 0
    queue = Queue("default", connection=redis)
    assert job.rq_job_id in FailedJobRegistry(queue=queue).get_job_ids()
    rq_job = RQJob.fetch(job.rq_job_id, connection=redis)
    assert rq_job.get_meta()["progress"] == 30
    assert "JobFailed" in rq_job.latest_result().exc_string
    assert "RuntimeError" in rq_job.latest_result().exc_string


def test_rq_failure_keeps_exception_message_out_of_redis(rq_app, db_session, redis):
    job = enqueue("test.leaky")
    db_session.commit()

    _work(redis)

    db_session.refresh(job)
    assert job.status == JobStatus.FAILED
    assert job.error == "ValueError: jane.smith@example.org has no pupil record"
    assert b"ValueError" in _redis_text(redis)
    assert b"jane.smith" not in _redis_text(redis)


def test_rq_failure_shows_message_in_redis_when_job_error(rq_app, db_session, redis):
    object_id = new_uuid()
    job = enqueue("test.reported", object_id)
    db_session.commit()

    _work(redis)

    rq_job = RQJob.fetch(job.rq_job_id, connection=redis)
    assert f"source 3 of 7 unreachable for {object_id}" in rq_job.latest_result().exc_string


def test_rq_retry_runs_failed_job_again_under_fresh_rq_id(rq_app, db_session, redis):
    object_id = new_uuid()
    job = enqueue("test.flaky", object_id)
    db_session.commit()
    _work(redis)
    db_session.refresh(job)
    first_rq_id = job.rq_job_id
    assert job.status == JobStatus.FAILED

    retry(job.id)
    db_session.commit()
    _work(redis)

    db_session.refresh(job)
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2
    assert job.rq_job_id != first_rq_id
    assert first_rq_id in FailedJobRegistry(queue=Queue("default", connection=redis)).get_job_ids()
    assert _events_for(db_session, object_id) == 1


def test_rq_job_goes_to_named_queue_when_given(rq_app, db_session, redis):
    object_id = new_uuid()
    job = enqueue("test.audit", object_id, queue="collect")
    db_session.commit()
    assert Queue("collect", connection=redis).count == 1

    _work(redis)  # listens on "default" only
    db_session.refresh(job)
    assert job.status == JobStatus.QUEUED

    _work(redis, "collect")
    db_session.refresh(job)
    assert job.status == JobStatus.SUCCEEDED


def test_rq_dispatch_failure_leaves_job_queued_until_redispatched(rq_app, db_session, redis, redis_url):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    rq_app.config["REDIS_URL"] = f"redis://127.0.0.1:{closed_port}/2"
    object_id = new_uuid()
    job = enqueue("test.audit", object_id)
    db_session.commit()  # must not raise: the data is committed

    db_session.refresh(job)
    assert job.status == JobStatus.QUEUED and job.error == "not dispatched: ConnectionError"

    rq_app.config["REDIS_URL"] = redis_url
    assert [stale.id for stale in redispatch_stale(older_than=timedelta(0))] == [job.id]
    db_session.commit()
    _work(redis)

    db_session.refresh(job)
    assert job.status == JobStatus.SUCCEEDED and job.error is None
    assert _events_for(db_session, object_id) == 1


@pytest.mark.parametrize("mode", ["--fork", "--no-fork"])
def test_flask_worker_burst_subprocess_runs_and_records_jobs(
    rq_app, db_session, redis, redis_url, tmp_path, mode
):
    ok_id, failing_id = new_uuid(), new_uuid()
    ok = enqueue("test.audit", ok_id, label="subprocess")
    failing = enqueue("test.fail", failing_id)
    probe = enqueue("test.progress_probe")
    db_session.commit()

    # The worker builds its own app with create_app() from the environment,
    # on the same database and Redis as this test.
    env = {key: value for key, value in os.environ.items() if key not in ("SMTP_URL", "FLASK_APP")}
    env.update(
        environ_for_tests(
            rq_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "worker-instance", REDIS_URL=redis_url
        )
    )
    env["PYTHONPATH"] = str(REPO)
    flask = Path(sys.executable).with_name("flask")
    completed = subprocess.run(
        [str(flask), "--app", "wsgi", "worker", "--burst", mode],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]

    db_session.expire_all()
    assert db_session.get(Job, ok.id).status == JobStatus.SUCCEEDED
    assert db_session.get(Job, probe.id).status == JobStatus.SUCCEEDED, db_session.get(Job, probe.id).error
    failed = db_session.get(Job, failing.id)
    assert failed.status == JobStatus.FAILED and failed.error == "RuntimeError: boom: something broke"
    assert (failed.progress, failed.progress_message) == (30, "before failing")
    assert _events_for(db_session, ok_id) == 1 and _events_for(db_session, failing_id) == 0
    assert failed.rq_job_id in FailedJobRegistry(queue=Queue("default", connection=redis)).get_job_ids()


def test_redispatch_skips_job_when_still_waiting_in_rq(rq_app, db_session, redis):
    enqueue("test.audit", new_uuid())
    db_session.commit()

    assert redispatch_stale(older_than=timedelta(0)) == []
    assert Queue("default", connection=redis).count == 1


def test_fail_abandoned_marks_running_job_failed_when_rq_no_longer_runs_it(rq_app, db_session, redis):
    job = enqueue("test.audit", new_uuid())
    db_session.commit()
    # As if a work horse claimed the job and was then killed: RQ has moved on.
    Queue("default", connection=redis).empty()
    job.status = JobStatus.RUNNING
    db_session.commit()

    assert [abandoned.id for abandoned in fail_abandoned()] == [job.id]
    db_session.commit()
    db_session.refresh(job)
    assert job.status == JobStatus.FAILED and job.error.startswith("abandoned")
