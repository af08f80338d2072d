"""Resuming abandoned jobs: the shared ``repair.resume_abandoned`` and the
rectification query built on it (the case id joined from the job's
arguments, in SQL)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.cases.models import Case, CaseStatus
from app.db import new_uuid, utcnow
from app.jobs import Job, JobStatus, enqueue
from app.jobs.repair import ABANDONED, resume_abandoned
from app.rectification.apply import resume_abandoned_applies
from app.rectification.tasks import APPLY_TASK
from tests.unit.api.estate import make_organisation
from tests.unit.cases.factory import new_case
from tests.unit.jobs import tasks  # noqa: F401  (registers test.audit)


@pytest.fixture
def inline_app(app):
    # CI also runs the suite with REDIS_URL set; nothing here needs RQ.
    app.config["REDIS_URL"] = None
    return app


def _failed(db_session, job: Job, error: str) -> None:
    job.status, job.error, job.finished_at = JobStatus.FAILED, error, utcnow()
    db_session.commit()


def test_resume_abandoned_retries_only_abandoned_jobs_of_the_query(inline_app, db_session):
    wanted, broken, elsewhere = (enqueue("test.audit", new_uuid()) for _ in range(3))
    db_session.commit()  # run inline: all three succeed
    _failed(db_session, wanted, ABANDONED)
    _failed(db_session, broken, "RuntimeError: a real failure")
    _failed(db_session, elsewhere, ABANDONED)
    calls: list[tuple[str, uuid.UUID, JobStatus]] = []

    # The owner here is the job's id; a domain passes its own row.
    stuck = select(Job.id, Job).where(Job.id.in_([wanted.id, broken.id])).order_by(Job.created_at)
    resumed = resume_abandoned(
        stuck,
        audit=lambda owner, job: calls.append(("audit", owner, job.status)),
        relink=lambda owner, job: calls.append(("relink", owner, job.status)),
    )

    assert resumed == [(wanted.id, wanted)]
    # Relinked to the queued job, then audited.
    assert calls == [("relink", wanted.id, JobStatus.QUEUED), ("audit", wanted.id, JobStatus.QUEUED)]
    db_session.commit()  # dispatched now, and run inline
    for job in (wanted, broken, elsewhere):
        db_session.refresh(job)
    assert (wanted.status, wanted.attempts, wanted.error) == (JobStatus.SUCCEEDED, 2, None)
    assert (broken.status, elsewhere.status) == (JobStatus.FAILED, JobStatus.FAILED)
    assert resume_abandoned(stuck, audit=lambda owner, job: None) == []


def _apply_job(db_session, case: Case) -> Job:
    """An apply job of ``case`` that the repair found abandoned."""
    job = Job(
        id=new_uuid(),
        name=APPLY_TASK,
        args=[str(case.id), None],
        kwargs={},
        status=JobStatus.FAILED,
        error=ABANDONED,
        attempts=1,
        finished_at=utcnow(),
    )
    db_session.add(job)
    db_session.commit()
    return job


def test_resume_abandoned_applies_resumes_only_jobs_of_executing_cases(inline_app, db_session):
    school = make_organisation("Elm Primary")
    executing, responded = (new_case(school, request_type="rectification") for _ in range(2))
    # Set directly: only the status matters to the query, not how it got there.
    executing.status, responded.status = CaseStatus.EXECUTING, CaseStatus.RESPONDED
    db_session.commit()
    running_case_job = _apply_job(db_session, executing)
    finished_case_job = _apply_job(db_session, responded)

    assert [job.id for job in resume_abandoned_applies()] == [running_case_job.id]
    assert running_case_job.status is JobStatus.QUEUED
    assert finished_case_job.status is JobStatus.FAILED
    db_session.rollback()  # nothing dispatched: the apply itself is tested in tests/unit/rectification
