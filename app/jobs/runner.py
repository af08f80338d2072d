"""Running jobs: the RQ entry point, inline runs and failures.

A run claims its ``Job`` row atomically (queued or failed -> running, one
``UPDATE … RETURNING`` that also reads what to run), so a job delivered
twice runs once at a time, and one that already succeeded is not run again;
the jobs one commit dispatches inline are claimed together. The claim is
committed before the task starts, with whatever the task's ``on_claim``
marked. The task's own work and the "succeeded" mark are committed
together; on an exception the task's work is rolled back and the row is
marked failed with a short description of the error. Tasks registered with
``async_commit`` commit their bookkeeping without waiting for the WAL flush
(``context.relax_commit`` says when that is safe; ``context`` holds what
a task sees of its job, progress included).
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import bindparam, func, select, update

from app.db import utcnow
from app.extensions import db
from app.jobs.context import (
    RUNNING_JOB,
    JobContext,
    JobFailed,
    describe_error,
    on_postgresql,
    public_error,
    relax_commit,
)
from app.jobs.models import Job, JobStatus
from app.jobs.registry import TaskSpec, resolve

log = logging.getLogger(__name__)

_UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_worker_app: Flask | None = None


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
    return run_inline_many(app, [job_id])[0]


def run_inline_many(app: Flask, job_ids: Sequence[uuid.UUID]) -> list[Outcome | None]:
    """``run_inline`` for the jobs one commit dispatched, in order, in one
    fresh app context: they are claimed together (one ``UPDATE … RETURNING``
    and one commit for all), then each runs and is recorded in its own
    transaction, as on a worker. Never raises (None for a job that could
    not be run at all)."""
    outcomes: list[Outcome | None] = []
    try:
        with app.app_context():
            try:
                claims = _claim_all(job_ids)
            except Exception:
                log.exception("inline jobs %s could not be claimed", ", ".join(map(str, job_ids)))
                return [None] * len(job_ids)
            for job_id in job_ids:
                claim = claims[job_id]
                try:
                    outcomes.append(claim if isinstance(claim, Outcome) else _run_claimed(claim))
                except Exception:
                    log.exception("inline job %s could not be run", job_id)
                    outcomes.append(None)
    except Exception:
        log.exception("inline jobs could not be run")
    return outcomes + [None] * (len(job_ids) - len(outcomes))


def execute(job_id: uuid.UUID, *, module: str | None = None, rq_job: Any | None = None) -> Outcome:
    """Claim, run and record one job in the current app context.

    Two transactions when all goes well: the claim (one ``UPDATE … RETURNING``
    that marks the row running and reads what to run, plus the task's
    ``on_claim``), then the task's work committed with the "succeeded" mark.
    """
    claim = _claim_one(job_id, module, rq_job)
    return claim if isinstance(claim, Outcome) else _run_claimed(claim)


@dataclass
class _Claim:
    context: JobContext
    spec: TaskSpec
    args: list[Any]
    kwargs: dict[str, Any]


def _claim_all(
    job_ids: Sequence[uuid.UUID], *, module: str | None = None, rq_job: Any | None = None
) -> dict[uuid.UUID, _Claim | Outcome]:
    """Claim the jobs (queued or failed -> running) and run their tasks'
    ``on_claim``, in one transaction, committed before any task starts: staff
    (and ``flask jobs repair``) see the jobs running, and a worker killed
    mid-task leaves them so. A job not claimed gets its ``Outcome`` now: one
    already running or done is not run again; one whose claim fails (an
    unknown task, an ``on_claim`` that raises) is recorded as failed."""
    session = db.session
    rows = session.execute(_CLAIM, {"job_ids": list(job_ids), "now": utcnow()}).all()
    claimed: dict[uuid.UUID, _Claim] = {}
    unresolved: dict[uuid.UUID, tuple[str, Exception]] = {}
    for job_id, name, raw_args, raw_kwargs, attempts in rows:
        context = JobContext(job_id=job_id, name=name, attempt=attempts, rq_job=rq_job)
        try:
            spec = resolve(name, module)
            args = [_decode(value) for value in raw_args]
            kwargs = {key: _decode(value) for key, value in raw_kwargs.items()}
        except Exception as exc:
            unresolved[job_id] = (name, exc)
            continue
        claimed[job_id] = _Claim(context, spec, args, kwargs)
    if claimed and not unresolved and all(claim.spec.async_commit for claim in claimed.values()):
        relax_commit()
    try:
        for claim in claimed.values():
            if claim.spec.on_claim is None:
                continue
            token = RUNNING_JOB.set(claim.context)
            try:
                claim.context.claimed = claim.spec.on_claim(*claim.args, **claim.kwargs)
            finally:
                RUNNING_JOB.reset(token)
    except Exception:
        session.rollback()
        if len(job_ids) == 1:
            raise
        # One job's hook failed and took the others' claims with it: claim
        # them one by one instead, so only that one fails.
        return {job_id: _claim_one(job_id, module, rq_job) for job_id in job_ids}
    session.commit()
    claims: dict[uuid.UUID, _Claim | Outcome] = dict(claimed)
    for job_id, (name, exc) in unresolved.items():
        claims[job_id] = _failed(job_id, name, exc)
    missing = [job_id for job_id in job_ids if job_id not in claims]
    if missing:
        statuses = dict(session.execute(_STATUSES, {"job_ids": missing}).all())
        session.rollback()
        for job_id in missing:
            status = statuses.get(job_id)
            if status is None:
                log.error("job %s does not exist", job_id)
            else:
                log.info("job %s is already %s; not running it again", job_id, status.value)
            claims[job_id] = Outcome(status)
    return claims


def _claim_one(job_id: uuid.UUID, module: str | None, rq_job: Any | None) -> _Claim | Outcome:
    try:
        return _claim_all([job_id], module=module, rq_job=rq_job)[job_id]
    except Exception as exc:
        # Its claim was rolled back with the failure: record the attempt.
        db.session.rollback()
        return _failed(job_id, "?", exc, claim=True)


def _run_claimed(claim: _Claim) -> Outcome:
    """Run a claimed job's task and commit its work with the "succeeded"
    mark; on an exception, roll the work back and mark the job failed."""
    session = db.session
    context = claim.context
    token = RUNNING_JOB.set(context)
    try:
        context.relax_at_finish = claim.spec.async_commit and on_postgresql()
        claim.spec.func(*claim.args, **claim.kwargs)
        succeeded = _SUCCEEDED_RELAXED if context.relax_at_finish else _SUCCEEDED
        session.execute(succeeded, {"job_id": context.job_id, "now": utcnow()})
        session.commit()
        return Outcome(JobStatus.SUCCEEDED)
    except Exception as exc:
        session.rollback()
        return _failed(context.job_id, context.name, exc)
    finally:
        RUNNING_JOB.reset(token)


def _failed(job_id: uuid.UUID, name: str, exc: Exception, *, claim: bool = False) -> Outcome:
    error = describe_error(exc)
    # The traceback may quote personal data from the exception message,
    # so production logs get the type only.
    verbose = current_app.config.get("RIGHTSDESK_ENV") != "production"
    log.warning("job %s (%s) failed with %s", job_id, name, type(exc).__name__, exc_info=verbose)
    _finish(job_id, JobStatus.FAILED, error=error, claim=claim)
    return Outcome(JobStatus.FAILED, error=error, public_error=public_error(exc))


def _claim_values(now: Any) -> dict[str, Any]:
    return {
        "status": JobStatus.RUNNING,
        "attempts": _JOBS.c.attempts + 1,
        "started_at": now,
        "finished_at": None,
        "error": None,
        "progress": 0,
        "progress_message": None,
    }


# The statements every job runs, built once (skipping the statement's
# construction and cache key on each run).
_JOBS = Job.__table__
_NOW = bindparam("now", type_=_JOBS.c.started_at.type)
_CLAIM = (
    update(_JOBS)
    .where(
        _JOBS.c.id.in_(bindparam("job_ids", expanding=True)),
        _JOBS.c.status.in_((JobStatus.QUEUED, JobStatus.FAILED)),
    )
    .values(_claim_values(_NOW))
    .returning(_JOBS.c.id, _JOBS.c.name, _JOBS.c.args, _JOBS.c.kwargs, _JOBS.c.attempts)
)
_STATUSES = select(_JOBS.c.id, _JOBS.c.status).where(_JOBS.c.id.in_(bindparam("job_ids", expanding=True)))
_SUCCEEDED = (
    update(_JOBS)
    .where(_JOBS.c.id == bindparam("job_id"))
    .values(status=JobStatus.SUCCEEDED, finished_at=_NOW, error=None, progress=100)
)
# The same, relaxing the transaction's commit as ``relax_commit`` would, in
# the same round trip (PostgreSQL only: ``set_config(…, true)`` is SET LOCAL).
_SUCCEEDED_RELAXED = _SUCCEEDED.returning(func.set_config("synchronous_commit", "off", True))


def _finish(
    job_id: uuid.UUID,
    status: JobStatus,
    *,
    progress: int | None = None,
    error: str | None = None,
    claim: bool = False,
) -> None:
    values: dict[str, Any] = _claim_values(utcnow()) if claim else {}
    values.update(status=status, finished_at=utcnow(), error=error)
    if progress is not None:
        values["progress"] = progress
    db.session.execute(
        update(Job).where(Job.id == job_id).values(**values).execution_options(synchronize_session=False)
    )
    db.session.commit()


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
