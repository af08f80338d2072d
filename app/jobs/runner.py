"""Running one job: the RQ entry point, inline runs, progress and failures.

A run claims its ``Job`` row atomically (queued or failed -> running), so a
job delivered twice runs once at a time, and one that already succeeded is
not run again. The task's own work and the "succeeded" mark are committed
together; on an exception the task's work is rolled back and the row is
marked failed with a short description of the error.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import update
from sqlalchemy.exc import StatementError

from app.db import utcnow
from app.extensions import db
from app.jobs.models import Job, JobStatus
from app.jobs.registry import resolve

log = logging.getLogger(__name__)

_UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_current: contextvars.ContextVar[JobContext | None] = contextvars.ContextVar("rightsdesk_job", default=None)
_worker_app: Flask | None = None


class JobError(Exception):
    """A failure whose message is safe to show anywhere, Redis included.

    Raise a subclass from a task with a message that holds ids and codes only
    (never names, addresses or free text about a person). Other exceptions
    reach RQ as their type name alone.
    """


class JobFailed(JobError):
    """Raised to RQ when a job failed, so RQ's failure registry lists it."""


@dataclass
class JobContext:
    """The job being run in this context; tasks reach it via ``current_job()``."""

    job_id: uuid.UUID
    name: str
    attempt: int
    rq_job: Any | None = None

    def report_progress(self, percent: int, message: str | None = None) -> None:
        """Record how far the job has got on its row and in RQ's job meta.

        ``message`` is shown to staff and stored in Redis: stages and counts
        ("3 of 7 sources"), never personal data.
        """
        percent = max(0, min(100, int(percent)))
        message = (message or "").strip()[:200] or None
        if self.rq_job is not None:
            from redis.exceptions import RedisError

            self.rq_job.meta.update(progress=percent, progress_message=message)
            try:
                self.rq_job.save_meta()
            except RedisError as exc:  # progress is advisory; the job goes on
                log.warning("job %s: progress not saved to Redis (%s)", self.job_id, type(exc).__name__)
        _store_progress(self.job_id, percent, message)


def current_job() -> JobContext | None:
    return _current.get()


def report_progress(percent: int, message: str | None = None) -> bool:
    """Report progress for the running job; a no-op (False) outside a job,
    so a task function can also be called directly, e.g. from a test."""
    context = _current.get()
    if context is None:
        return False
    context.report_progress(percent, message)
    return True


@dataclass(frozen=True)
class Outcome:
    status: JobStatus | None  # None when no such job exists
    error: str | None = None
    public_error: str | None = None


def use_app(app: Flask) -> None:
    """Make ``app`` the one RQ jobs run in (``flask worker`` calls this, and
    forked work horses inherit it)."""
    global _worker_app
    _worker_app = app


def run_task(job_id: str, module: str | None = None) -> None:
    """The RQ entry point: run the ``Job`` with this id in an app context.

    ``module`` names where the task was defined, imported on demand when the
    worker has not imported it already.
    """
    app = _app_for_worker()
    from rq import get_current_job

    with app.app_context():
        _forget_inherited_connections(app)
        outcome = execute(uuid.UUID(job_id), module=module, rq_job=get_current_job())
    if outcome.status is None:
        raise JobFailed(f"job {job_id} does not exist in the database")
    if outcome.status == JobStatus.FAILED:
        # Only the type (or a JobError's own message) goes to Redis; the
        # fuller description is on the Job row. ``from None`` keeps the
        # task's traceback, and whatever its frames show, out of RQ.
        raise JobFailed(f"job {job_id} failed: {outcome.public_error}") from None


def run_inline(app: Flask, job_id: uuid.UUID) -> Outcome | None:
    """Run a job now, in this process, in a fresh app context and session.

    Called from the committing session's after_commit hook, so it never
    raises: the caller's commit has already succeeded.
    """
    try:
        with app.app_context():
            return execute(job_id)
    except Exception:
        log.exception("inline job %s could not be run", job_id)
        return None


def execute(job_id: uuid.UUID, *, module: str | None = None, rq_job: Any | None = None) -> Outcome:
    """Claim, run and record one job in the current app context."""
    session = db.session
    claimed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_((JobStatus.QUEUED, JobStatus.FAILED)))
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            started_at=utcnow(),
            finished_at=None,
            error=None,
            progress=0,
            progress_message=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    job = session.get(Job, job_id)
    if job is None:
        log.error("job %s does not exist", job_id)
        return Outcome(None)
    if not claimed:
        log.info("job %s is already %s; not running it again", job_id, job.status.value)
        return Outcome(job.status)

    name = job.name
    context = JobContext(job_id=job_id, name=name, attempt=job.attempts, rq_job=rq_job)
    args = [_decode(value) for value in job.args]
    kwargs = {key: _decode(value) for key, value in job.kwargs.items()}
    token = _current.set(context)
    try:
        resolve(name, module).func(*args, **kwargs)
        _finish(job_id, JobStatus.SUCCEEDED, progress=100)
        return Outcome(JobStatus.SUCCEEDED)
    except Exception as exc:
        session.rollback()
        error = describe_error(exc)
        # The traceback may quote personal data from the exception message,
        # so production logs get the type only.
        verbose = current_app.config.get("RIGHTSDESK_ENV") != "production"
        log.warning("job %s (%s) failed with %s", job_id, name, type(exc).__name__, exc_info=verbose)
        _finish(job_id, JobStatus.FAILED, error=error)
        return Outcome(JobStatus.FAILED, error=error, public_error=public_error(exc))
    finally:
        _current.reset(token)


def describe_error(exc: BaseException) -> str:
    """Exception type and the first line of its message, for the Job row.

    Database errors are described by the driver's error alone: SQLAlchemy's
    own message quotes the statement's parameters, and PostgreSQL's DETAIL
    line quotes key values, either of which can be personal data.
    """
    if isinstance(exc, StatementError) and exc.orig is not None:
        exc = exc.orig
    lines = str(exc).strip().splitlines()
    text = lines[0].strip() if lines else ""
    name = type(exc).__name__
    return (f"{name}: {text}" if text else name)[:500]


def public_error(exc: BaseException) -> str:
    if isinstance(exc, JobError):
        return describe_error(exc)
    return type(exc).__name__


def _finish(
    job_id: uuid.UUID, status: JobStatus, *, progress: int | None = None, error: str | None = None
) -> None:
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "error": error}
    if progress is not None:
        values["progress"] = progress
    db.session.execute(
        update(Job).where(Job.id == job_id).values(**values).execution_options(synchronize_session=False)
    )
    db.session.commit()


def _store_progress(job_id: uuid.UUID, percent: int, message: str | None) -> None:
    statement = update(Job).where(Job.id == job_id).values(progress=percent, progress_message=message)
    if _session_holds_sqlite_write_lock():
        # SQLite allows one writer: a second connection would wait for this
        # session's own lock. Ride along with the task's transaction instead.
        db.session.execute(statement.execution_options(synchronize_session=False))
        return
    # Its own short transaction, so progress is visible while the task runs
    # and survives if the task fails.
    with db.engine.begin() as connection:
        connection.execute(statement)


def _session_holds_sqlite_write_lock() -> bool:
    session = db.session()
    if db.engine.dialect.name != "sqlite" or not session.in_transaction():
        return False
    # pysqlite only opens a transaction before a write, so this is True
    # exactly when the task has written something not yet committed.
    return bool(session.connection().connection.dbapi_connection.in_transaction)


def _decode(value: Any) -> Any:
    if isinstance(value, str) and _UUID_TEXT.match(value):
        return uuid.UUID(value)
    return value


def _app_for_worker() -> Flask:
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _worker_app is None:
        # A plain ``rq worker`` (not ``flask worker``): build the app from
        # the environment once per process.
        from app import create_app

        _worker_app = create_app()
    return _worker_app


def _forget_inherited_connections(app: Flask) -> None:
    # RQ forks a work horse per job; pooled database connections copied
    # from the parent must not be used (or closed) by the child.
    state = app.extensions.setdefault("rightsdesk.jobs", {})
    pid = os.getpid()
    if state.setdefault("pid", pid) != pid:
        db.engine.dispose(close=False)
        state["pid"] = pid
