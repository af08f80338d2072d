"""A gather survives a worker killed mid-job (PostgreSQL and Redis, real
``flask worker`` processes).

One source's job is made to hang half-way (the test holds a lock on the
items table, so the job's write waits), the worker is killed with SIGKILL,
``flask jobs repair`` marks the abandoned job failed, the collector queues
it again, and a fresh worker in burst mode finishes the gather: every
source done once, no item stored twice, the case moved to review once.
Two workers sharing one gather move the case once too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import create_engine, func, select, text

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.cases.models import CaseStatus
from app.collect import services
from app.collect.models import CollectedItem, RunStatus, SourceRun
from app.jobs import Job, JobStatus
from app.sources import registry
from tests.conftest import environ_for_tests
from tests.unit.api.estate import make_user
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.sources.factories import build_world

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def rq_app(app, redis_url):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs PostgreSQL: concurrent worker processes and row locks")
    app.config["REDIS_URL"] = redis_url
    return app


def _worker(app, redis_url: str, tmp_path: Path, *args: str) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if key not in ("SMTP_URL", "FLASK_APP")}
    env.update(
        environ_for_tests(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "worker", REDIS_URL=redis_url)
    )
    env["PYTHONPATH"] = str(REPO)
    flask = Path(sys.executable).with_name("flask")
    # Its own session (process group), so the kill takes the forked work horse too.
    return subprocess.Popen(
        [str(flask), "--app", "wsgi", "worker", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc; Linux only)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The parent pid is the second field after the parenthesised name.
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _kill_hard(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its work horse, which RQ puts in a process
    group of its own, as a machine losing power would."""
    horses = _children(worker.pid)
    os.killpg(worker.pid, signal.SIGKILL)
    for horse in horses:
        with contextlib.suppress(ProcessLookupError):  # it may already have gone
            os.killpg(horse, signal.SIGKILL)
    worker.wait(timeout=30)


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_gather_completes_once_after_worker_is_killed_mid_job(rq_app, db_session, redis_url, tmp_path):
    actor = make_user("cas.worker@rightsdesk.example", Role.CASEWORKER)
    world = build_world(db_session, years=2)
    case = confirmed_amelia(world, actor)
    services.start_gather(case, actor)
    db_session.commit()  # seven jobs now wait in RQ
    sources = [source.name for source in registry.all_sources()]

    url = rq_app.config["SQLALCHEMY_DATABASE_URI"]
    blocker = create_engine(url, isolation_level="AUTOCOMMIT")
    observer = create_engine(url)
    hold = blocker.connect()
    hold.execute(text("BEGIN"))
    # Reads go on; the first job's delete-then-insert of its items waits here.
    hold.execute(text("LOCK TABLE collected_items IN EXCLUSIVE MODE"))
    worker = _worker(rq_app, redis_url, tmp_path / "first")
    try:

        def job_waits_on_lock() -> bool:
            with observer.connect() as conn:
                return bool(
                    conn.scalar(
                        text(
                            "SELECT count(*) FROM pg_locks WHERE NOT granted"
                            " AND relation = 'collected_items'::regclass"
                        )
                    )
                )

        _wait_for(job_waits_on_lock, "a gather job to block on the items table")
        _kill_hard(worker)
    finally:
        if worker.poll() is None:
            _kill_hard(worker)
        # The dead work horse's server process would be dropped when its
        # socket times out; end it now, then let the table go.
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
    stuck = db_session.scalars(
        select(SourceRun).where(SourceRun.case_id == case.id, SourceRun.status == RunStatus.RUNNING)
    ).all()
    assert len(stuck) == 1, "exactly one source was mid-run when the worker died"
    stuck_run = stuck[0]
    assert db_session.get(Job, stuck_run.job_id).status is JobStatus.RUNNING

    # RQ notices the dead worker's job once its heartbeat lapses (about a
    # minute and a half); jump ahead rather than wait.
    redis = Redis.from_url(redis_url)
    StartedJobRegistry(queue=Queue("default", connection=redis)).cleanup(timestamp=time.time() + 3600)
    redis.close()

    repaired = rq_app.test_cli_runner().invoke(args=["jobs", "repair"])
    assert repaired.exit_code == 0, repaired.output
    # The repair marks the killed job failed and, a gather's sources being
    # idempotent, queues that source again at once.
    assert "1 abandoned job(s) marked failed" in repaired.output
    assert "1 interrupted job(s) queued again" in repaired.output
    db_session.expire_all()
    assert db_session.get(SourceRun, stuck_run.id).status is RunStatus.QUEUED
    assert services.resume_abandoned() == []

    second = _worker(rq_app, redis_url, tmp_path / "second", "--burst")
    output, _ = second.communicate(timeout=180)
    assert second.returncode == 0, output[-3000:]

    db_session.expire_all()
    runs = db_session.scalars(select(SourceRun).where(SourceRun.case_id == case.id)).all()
    assert sorted(run.source for run in runs) == sorted(sources)
    assert {run.status for run in runs} == {RunStatus.DONE}, [
        (r.source, r.status, r.error_code) for r in runs
    ]
    resumed = db_session.get(SourceRun, stuck_run.id)
    assert resumed.attempt == 2 and db_session.get(Job, resumed.job_id).attempts == 2
    keys = db_session.scalars(select(CollectedItem.key).where(CollectedItem.case_id == case.id)).all()
    assert keys and len(keys) == len(set(keys))
    assert sum(run.item_count for run in runs) == len(keys)
    db_session.refresh(case)
    assert case.status is CaseStatus.IN_REVIEW
    moves = db_session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == "case.status_changed")
    ).all()
    assert [event.data["to"] for event in moves].count("in_review") == 1
    assert (
        db_session.scalar(select(func.count()).select_from(Job).where(Job.status != JobStatus.SUCCEEDED)) == 0
    )


def test_parallel_workers_finish_the_gather_once(rq_app, db_session, redis_url, tmp_path):
    """Two workers share the sources; whichever finishes last moves the case,
    and only once (the finishing job locks the case row before counting)."""
    actor = make_user("cas.worker@rightsdesk.example", Role.CASEWORKER)
    world = build_world(db_session, years=1)
    case = confirmed_amelia(world, actor)
    services.start_gather(case, actor)
    db_session.commit()

    workers = [_worker(rq_app, redis_url, tmp_path / f"w{n}", "--burst") for n in range(2)]
    for worker in workers:
        output, _ = worker.communicate(timeout=180)
        assert worker.returncode == 0, output[-3000:]

    db_session.expire_all()
    runs = db_session.scalars(select(SourceRun).where(SourceRun.case_id == case.id)).all()
    assert {run.status for run in runs} == {RunStatus.DONE} and {run.attempt for run in runs} == {1}
    db_session.refresh(case)
    assert case.status is CaseStatus.IN_REVIEW
    moves = db_session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == "case.status_changed")
    ).all()
    assert [event.data["to"] for event in moves].count("in_review") == 1
