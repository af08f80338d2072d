"""Enqueueing jobs, and dispatching them only once the database has committed.

``enqueue`` writes a ``Job`` row in the caller's transaction and remembers it
on the session. Nothing reaches Redis (or runs inline) until that transaction
commits: a job must never start before the rows it will look up exist, and a
rolled-back request must not leave work behind. Savepoints are honoured: a
job enqueued inside a ``begin_nested()`` that rolls back is forgotten while
the rest of the transaction's jobs still go.

Where a job runs is decided by configuration: with ``REDIS_URL`` it goes to
an RQ queue for ``flask worker`` processes; without it, it runs inline in
this process straight after the commit, in its own application context and
session, and still updates its ``Job`` row.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from app.db import new_uuid, utcnow
from app.extensions import db
from app.jobs.models import Job, JobStatus
from app.jobs.registry import TaskSpec, spec_for

log = logging.getLogger(__name__)

RQ_ENTRY_POINT = "app.jobs.runner.run_task"
_PENDING = "rightsdesk.jobs.pending"
# Codes, enum values, ISO dates, reference numbers: no spaces or "@", so a
# name, an email address or a sentence cannot pass for an id.
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_KWARG_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
_MAX_INT = 2**63 - 1


class JobArgumentError(TypeError):
    """A job argument that is not an id (jobs must never carry personal data)."""


@dataclass
class _Pending:
    app: Flask
    job_id: uuid.UUID
    name: str
    use_rq: bool
    queue: str
    rq_job_id: str | None
    timeout: int
    module: str
    # Innermost transaction open when enqueued: the dispatch survives only if
    # this transaction and every one enclosing it commit.
    transaction: SessionTransaction


def init_app(app: Flask) -> None:
    # The pid lets a forked RQ work horse notice it is a child (runner.py).
    app.extensions["rightsdesk.jobs"] = {"pid": os.getpid()}
    session_events = db.session
    if not event.contains(session_events, "after_commit", _after_commit):
        event.listen(session_events, "after_commit", _after_commit)
        event.listen(session_events, "after_transaction_end", _after_transaction_end)


def enqueue(task: str | Callable[..., Any], *ids: Any, queue: str | None = None, **kwargs: Any) -> Job:
    """Record a job for ``task`` and dispatch it when the current transaction commits.

    ``ids`` and ``kwargs`` are the task's arguments and must be ids: UUIDs,
    integers, booleans, None or short identifier strings (codes, ISO dates).
    Anything else is refused, since arguments are stored in Redis, which
    must never hold personal data. ``queue`` overrides the task's own queue
    (so ``queue`` cannot be a task keyword argument).

    The caller commits; if the transaction rolls back, nothing is dispatched
    and the ``Job`` row disappears with it.
    """
    return enqueue_many(task, [ids], queue=queue, kwargs=kwargs)[0]


def enqueue_many(
    task: str | Callable[..., Any],
    calls: Iterable[Sequence[Any]],
    *,
    queue: str | None = None,
    kwargs: dict[str, Any] | None = None,
) -> list[Job]:
    """``enqueue`` for several jobs of one task at once, one per sequence of
    ids in ``calls`` (each with the same ``kwargs``): the rows are written
    with one flush (one multi-row INSERT), and dispatched in this order when
    the caller commits."""
    spec = spec_for(task)
    clean_kwargs = {
        _clean_kwarg_name(name): _clean_arg(value, f"keyword {name!r}")
        for name, value in (kwargs or {}).items()
    }
    target_queue = queue or spec.queue
    use_rq = bool(current_app.config.get("REDIS_URL"))
    now = utcnow()
    jobs = []
    for ids in calls:
        job = Job(
            id=new_uuid(),
            name=spec.name,
            queue=target_queue,
            args=[_clean_arg(value, f"argument {index + 1}") for index, value in enumerate(ids)],
            kwargs=dict(clean_kwargs),
            status=JobStatus.QUEUED,
            progress=0,
            attempts=0,
            created_at=now,
        )
        if use_rq:
            job.rq_job_id = str(job.id)
        jobs.append(job)
    session = db.session()
    session.add_all(jobs)
    session.flush()
    for job in jobs:
        remember_dispatch(session, job, spec, use_rq)
    return jobs


def retry(job_id: uuid.UUID) -> Job:
    """Queue a failed (or never dispatched) job again, after the current commit.

    The same row is reused so its attempts count up; RQ gets a fresh job id
    because the failed one still sits in RQ's failure registry. A failed job
    of a task registered with ``retry_as`` is not run again: that hook
    queues its work anew and the new job is returned (ValueError, saying
    why, when it cannot).
    """
    session = db.session()
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise LookupError(f"no job {job_id}")
    if job.status in (JobStatus.RUNNING, JobStatus.SUCCEEDED):
        raise ValueError(f"job {job_id} is {job.status.value}; only queued or failed jobs can be retried")
    spec = spec_for(job.name)
    if spec.retry_as is not None and job.status is JobStatus.FAILED:
        try:
            return spec.retry_as(*job.args, **job.kwargs)
        except ValueError as exc:
            raise ValueError(f"job {job_id} ({job.name}) is not retried: {exc}") from None
    use_rq = bool(current_app.config.get("REDIS_URL"))
    job.status = JobStatus.QUEUED
    job.finished_at = None
    job.rq_job_id = fresh_rq_id(job) if use_rq else None
    session.flush()
    remember_dispatch(session, job, spec, use_rq)
    return job


def list_jobs(*, status: JobStatus | None = None, name: str | None = None, limit: int = 50) -> Sequence[Job]:
    """Most recent jobs first."""
    query = select(Job).order_by(Job.created_at.desc()).limit(limit)
    if status is not None:
        query = query.where(Job.status == status)
    if name is not None:
        query = query.where(Job.name == name)
    return db.session.scalars(query).all()


def get_job(job_id: uuid.UUID) -> Job | None:
    return db.session.get(Job, job_id)


def redis_connection(app: Flask | None = None):
    """One Redis client per app and URL (redis-py pools connections and
    resets the pool by itself after a fork)."""
    from redis import Redis

    app = app or current_app._get_current_object()
    url = app.config.get("REDIS_URL")
    if not url:
        raise RuntimeError("REDIS_URL is not set")
    state = app.extensions.setdefault("rightsdesk.jobs", {})
    cached = state.get("redis")
    if cached is None or cached[0] != url:
        # Bounded waits: an unreachable Redis must not hang the request that
        # is dispatching (workers get their own connection, see cli.py).
        cached = (url, Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10))
        state["redis"] = cached
    return cached[1]


def rq_queue(name: str, app: Flask | None = None):
    from rq import Queue

    return Queue(name, connection=redis_connection(app))


def fresh_rq_id(job: Job) -> str:
    # A new RQ id per dispatch: the previous one may still be in RQ's
    # failure registry, and reusing it would overwrite that record.
    return f"{job.id}-{uuid.uuid4().hex[:8]}"


# --- argument checks ---------------------------------------------------------


def _clean_arg(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, int):
        if abs(value) > _MAX_INT:
            raise JobArgumentError(f"{where}: integer out of range")
        return value
    if isinstance(value, str) and _IDENTIFIER.match(value):
        return value
    # The value itself is deliberately left out of the message: it may be
    # exactly the personal data this check keeps out of Redis.
    raise JobArgumentError(
        f"{where} ({type(value).__name__}) is not an id; jobs take UUIDs, integers "
        "or short identifier strings and look everything else up themselves"
    )


def _clean_kwarg_name(name: str) -> str:
    if not _KWARG_NAME.match(name):
        raise JobArgumentError(f"keyword {name!r} is not a plain identifier")
    return name


# --- dispatch after commit ---------------------------------------------------


def remember_dispatch(session: Session, job: Job, spec: TaskSpec, use_rq: bool) -> None:
    """Dispatch ``job`` when the session's current transaction commits."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:  # pragma: no cover - flush always leaves one open
        raise RuntimeError("enqueue needs a transaction")
    session.info.setdefault(_PENDING, []).append(
        _Pending(
            app=current_app._get_current_object(),
            job_id=job.id,
            name=job.name,
            use_rq=use_rq,
            queue=job.queue,
            rq_job_id=job.rq_job_id,
            timeout=spec.timeout,
            module=spec.module,
            transaction=transaction,
        )
    )


def _after_commit(session: Session) -> None:
    pending: list[_Pending] = session.info.get(_PENDING) or []
    if not pending:
        return
    nested = session.get_nested_transaction()
    if nested is not None:
        # A savepoint was released: its jobs now depend on the enclosing
        # transaction committing too.
        for entry in pending:
            if entry.transaction is nested:
                entry.transaction = nested.parent  # type: ignore[assignment]
        return
    # The outermost transaction committed: everything still pending is durable.
    session.info[_PENDING] = []
    inline: list[_Pending] = []
    for entry in pending:
        if not entry.use_rq:
            inline.append(entry)  # run below, together
            continue
        try:
            _dispatch(entry)
        except Exception:
            # The caller's commit has succeeded and must not appear to fail;
            # the row stays queued for ``flask jobs repair``.
            log.exception("job %s committed but not dispatched", entry.job_id)
    if inline:
        _run_inline(inline)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    pending: list[_Pending] = session.info.get(_PENDING) or []
    if pending:
        # Whatever is still tied to a transaction that has ended was rolled
        # back (a commit would have dispatched or re-parented it).
        session.info[_PENDING] = [entry for entry in pending if not _within(entry.transaction, transaction)]


def _within(inner: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while inner is not None:
        if inner is outer:
            return True
        inner = inner.parent
    return False


def _dispatch(entry: _Pending) -> None:
    if entry.use_rq:
        _dispatch_to_rq(entry)
    else:
        from app.jobs.runner import run_inline

        run_inline(entry.app, entry.job_id)


def _run_inline(entries: list[_Pending]) -> None:
    """Run the jobs now, in order: the jobs of one app together, claimed in
    one transaction (``runner.run_inline_many``)."""
    from app.jobs.runner import run_inline_many

    by_app: dict[int, list[_Pending]] = {}
    for entry in entries:
        by_app.setdefault(id(entry.app), []).append(entry)
    for group in by_app.values():
        run_inline_many(group[0].app, [entry.job_id for entry in group])


def _dispatch_to_rq(entry: _Pending) -> None:
    from redis.exceptions import RedisError

    try:
        rq_queue(entry.queue, entry.app).enqueue_call(
            func=RQ_ENTRY_POINT,
            args=(str(entry.job_id), entry.module),
            job_id=entry.rq_job_id,
            timeout=entry.timeout,
            description=f"{entry.name} {entry.job_id}",
            meta={"job_id": str(entry.job_id), "progress": 0},
            # The outcome lives on the Job row; RQ keeps its own record of a
            # success for an hour and of a failure for a week.
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
    except RedisError as exc:
        # The commit already succeeded, so this must not raise into the
        # caller. The row stays queued for ``flask jobs repair``.
        log.error("job %s committed but not dispatched: %s", entry.job_id, type(exc).__name__)
        _note_dispatch_failure(entry, exc)


def _note_dispatch_failure(entry: _Pending, exc: Exception) -> None:
    # A fresh app context gives a fresh session: the committing one cannot
    # run SQL inside its own after_commit hook.
    with entry.app.app_context():
        job = db.session.get(Job, entry.job_id)
        if job is not None and job.status == JobStatus.QUEUED:
            job.error = f"not dispatched: {type(exc).__name__}"
            db.session.commit()
