"""Putting jobs right after an outage (``flask jobs repair``, e.g. from cron).

Two things can leave a ``Job`` row out of step with reality: Redis refusing
the dispatch at commit time (the row stays queued with nothing in RQ), and a
process dying mid-job (the row stays running for ever). Both are detected
here; neither is ever turned into "succeeded".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import Select, select

from app.db import utcnow
from app.extensions import db
from app.jobs.models import Job, JobStatus
from app.jobs.registry import spec_for
from app.jobs.services import fresh_rq_id, redis_connection, remember_dispatch, retry

# RQ states in which a job will still run (or is running) without our help.
_LIVE_RQ_STATES = {
    "created",
    "queued",
    "started",
    "deferred",
    "scheduled",
    "rate_limited",
    "ready_to_enqueue",
}
ABANDONED = "abandoned: the process running it stopped before it finished"
Owner = TypeVar("Owner")


def redispatch_stale(older_than: timedelta = timedelta(minutes=15)) -> list[Job]:
    """Dispatch again, after the caller commits, jobs still queued long after
    they were created and no longer waiting in RQ.

    Dispatching twice would still be safe (the runner claims a job atomically
    and skips one that already succeeded), but RQ is asked first so that a
    long queue is not doubled.
    """
    use_rq = bool(current_app.config.get("REDIS_URL"))
    session = db.session()
    stale = session.scalars(
        select(Job)
        .where(Job.status == JobStatus.QUEUED, Job.created_at < utcnow() - older_than)
        .order_by(Job.created_at)
    ).all()
    redispatched = []
    for job in stale:
        if use_rq and _rq_state(job) in _LIVE_RQ_STATES:
            continue
        job.rq_job_id = fresh_rq_id(job) if use_rq else None
        remember_dispatch(session, job, spec_for(job.name), use_rq)
        redispatched.append(job)
    session.flush()
    return redispatched


def fail_abandoned(older_than: timedelta = timedelta(hours=1)) -> list[Job]:
    """Mark failed the jobs left running by a process that died.

    An RQ job is abandoned when RQ no longer has it running (a killed work
    horse lands in RQ's failed registry); an inline job, when it started
    longer ago than ``older_than``. The caller commits; ``retry`` can then
    queue them again.
    """
    use_rq = bool(current_app.config.get("REDIS_URL"))
    session = db.session()
    running = session.scalars(select(Job).where(Job.status == JobStatus.RUNNING)).all()
    cutoff = utcnow() - older_than
    abandoned = []
    for job in running:
        if job.rq_job_id and use_rq:
            gone = _rq_state(job) not in _LIVE_RQ_STATES
        else:
            gone = job.started_at is None or job.started_at < cutoff
        if gone:
            job.status = JobStatus.FAILED
            job.error = ABANDONED
            job.finished_at = utcnow()
            abandoned.append(job)
    session.flush()
    return abandoned


def resume_abandoned(
    stuck: Select[tuple[Owner, Job]],
    audit: Callable[[Owner, Job], Any],
    relink: Callable[[Owner, Job], Any] | None = None,
) -> list[tuple[Owner, Job]]:
    """Queue again, after the caller commits, the abandoned jobs (failed by
    ``fail_abandoned``) whose work a domain still holds as mid-way.

    ``stuck`` selects (owner, job) rows: the domain row still waiting on the
    job (a source run, a pack, a plan, a case) joined to that job, with the
    domain's own conditions; only the abandoned failures among them are
    taken here, so a job that failed for a real reason is never run again
    unasked. Each job is retried (the same row, so its attempts add up),
    handed to ``relink`` when the owner keeps its own copy of the job's
    state, then to ``audit``. The jobs' work must be idempotent.
    """
    query = stuck.where(Job.status == JobStatus.FAILED, Job.error == ABANDONED)
    resumed = []
    for owner, job in db.session.execute(query).all():
        queued = retry(job.id)
        if relink is not None:
            relink(owner, queued)
        audit(owner, queued)
        resumed.append((owner, queued))
    db.session.flush()
    return resumed


def _rq_state(job: Job) -> str | None:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob

    if not job.rq_job_id:
        return None
    try:
        status = RQJob.fetch(job.rq_job_id, connection=redis_connection()).get_status()
    except NoSuchJobError:
        return None
    return status.value if status else None


@dataclass(frozen=True)
class RepairReport:
    redispatched: int
    abandoned: int
    resumed: int

    def __str__(self) -> str:
        return (
            f"{self.redispatched} job(s) dispatched again; {self.abandoned} abandoned job(s) marked failed; "
            f"{self.resumed} interrupted job(s) queued again."
        )


def repair(*, queued_for: timedelta, running_for: timedelta) -> RepairReport:
    """The whole upkeep, for the periodic task and ``flask jobs repair``:
    fail the abandoned jobs, queue again the idempotent work that was cut
    off (a gather's sources, pack builds, erasure steps, corrections being
    applied), dispatch the stranded ones. The caller commits."""
    from app.collect.services import resume_abandoned
    from app.erasure.services import resume_abandoned as resume_abandoned_erasures
    from app.exports.packs import resume_abandoned_builds
    from app.rectification.apply import resume_abandoned_applies

    abandoned = fail_abandoned(running_for)
    resumed = [
        *resume_abandoned(),
        *resume_abandoned_builds(),
        *resume_abandoned_erasures(),
        *resume_abandoned_applies(),
    ]
    redispatched = redispatch_stale(queued_for)
    return RepairReport(len(redispatched), len(abandoned), len(resumed))
