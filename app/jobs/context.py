"""What a running task sees of its job: the context, progress, commit
durability and the errors it may raise.

``runner`` sets the context around each task and uses these to finish the
job; tasks reach them through ``app.jobs`` (``current_job``,
``report_progress``, ``relax_commit``, ``durable_commit``, ``JobError``).
"""

from __future__ import annotations

import contextvars
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import StatementError

from app.extensions import db
from app.jobs.models import Job

log = logging.getLogger(__name__)

RUNNING_JOB: contextvars.ContextVar[JobContext | None] = contextvars.ContextVar(
    "rightsdesk_job", default=None
)


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
    # What the task's ``on_claim`` returned (see ``registry.TaskSpec``).
    claimed: Any = None
    # An ``async_commit`` task's work commit is relaxed by the statement
    # marking the job succeeded, not by one of its own; ``durable_commit``
    # in the task clears this instead of undoing a setting.
    relax_at_finish: bool = False

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
    return RUNNING_JOB.get()


def report_progress(percent: int, message: str | None = None) -> bool:
    """Report progress for the running job; a no-op (False) outside a job,
    so a task function can also be called directly, e.g. from a test."""
    context = RUNNING_JOB.get()
    if context is None:
        return False
    context.report_progress(percent, message)
    return True


def relax_commit() -> None:
    """Let the current transaction commit without waiting for its WAL to be
    flushed to disk (PostgreSQL ``SET LOCAL synchronous_commit = off``; a
    no-op elsewhere). The rest of the transaction's life is unchanged: it is
    atomic, isolated and visible to others at once.

    What is given up: a database crash within a fraction of a second of the
    commit (at most three ``wal_writer_delay``, 600 ms by default) may lose
    it, as if it had rolled back. WAL is replayed in order, so such a loss
    is always a consistent tail: every later commit, asynchronous or not, is
    lost with it, and a later synchronous commit makes it durable too. So
    use it only for work that is redone when lost, such as job bookkeeping
    of idempotent tasks (a lost claim leaves the job queued for
    ``repair.redispatch_stale``; a lost finish leaves it running for
    ``repair.fail_abandoned``), and never for a transaction whose loss
    someone would rely on not happening (an audit event, a message sent, a
    decision recorded); ``durable_commit`` undoes it for the transaction.
    """
    _set_synchronous_commit("off")


def durable_commit() -> None:
    """Make the current transaction wait for its WAL flush again, after
    ``relax_commit`` (e.g. because it now records an audit event); in an
    ``async_commit`` task, keep its work commit durable."""
    job = RUNNING_JOB.get()
    if job is not None and job.relax_at_finish:
        job.relax_at_finish = False  # nothing relaxed yet: just never relax
        return
    _set_synchronous_commit(None)


def on_postgresql() -> bool:
    return db.session().get_bind().dialect.name == "postgresql"


def _set_synchronous_commit(value: str | None) -> None:
    if not on_postgresql():
        return
    session = db.session()
    # LOCAL: the setting ends with the transaction, so a pooled connection
    # never carries it into another one.
    statement = "SET LOCAL synchronous_commit TO " + ("DEFAULT" if value is None else value)
    session.connection().exec_driver_sql(statement)


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
