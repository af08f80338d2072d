"""Background jobs: enqueued after commit, run by RQ or inline.

Usage::

    from app.jobs import enqueue, report_progress, task

    @task("collect.gather")
    def gather(case_id: uuid.UUID) -> None:
        ...                       # look the case up, do the work
        report_progress(50, "4 of 8 sources")

    enqueue("collect.gather", case.id)   # dispatched when the caller commits

See ``services`` (enqueue and dispatch), ``runner`` (running and
failures), ``context`` (what a task sees: progress, commit durability),
``registry`` (task names) and ``repair`` (after an outage).
"""

from __future__ import annotations

from flask import Flask

from app.jobs.context import (
    JobContext,
    JobError,
    JobFailed,
    current_job,
    describe_error,
    durable_commit,
    relax_commit,
    report_progress,
)
from app.jobs.models import Job, JobStatus
from app.jobs.registry import TaskSpec, UnknownTask, registered_names, task
from app.jobs.repair import fail_abandoned, redispatch_stale
from app.jobs.runner import run_task
from app.jobs.services import (
    JobArgumentError,
    enqueue,
    enqueue_many,
    get_job,
    list_jobs,
    retry,
)

__all__ = [
    "Job",
    "JobArgumentError",
    "JobContext",
    "JobError",
    "JobFailed",
    "JobStatus",
    "TaskSpec",
    "UnknownTask",
    "current_job",
    "describe_error",
    "durable_commit",
    "enqueue",
    "enqueue_many",
    "fail_abandoned",
    "get_job",
    "init_app",
    "list_jobs",
    "redispatch_stale",
    "registered_names",
    "relax_commit",
    "report_progress",
    "retry",
    "run_task",
    "task",
]


def init_app(app: Flask) -> None:
    from app.jobs import services

    services.init_app(app)
