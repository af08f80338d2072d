"""The apply job through RQ: queued after the commit with ids only, run by
a worker in burst mode."""

from __future__ import annotations

from redis import Redis
from rq import Queue, SimpleWorker

from app.cases.models import Case, CaseStatus
from app.extensions import db
from app.rectification import services
from app.sources.protocol import PersonKind
from app.sources.pupils.models import Pupil


def test_apply_runs_on_an_rq_worker(app, case, world, caseworker, redis_url) -> None:
    proposal = services.propose(case, caseworker, PersonKind.PUPIL, world.amelia.id, "postcode", "LS2 7EW")
    services.decide(case, proposal.id, caseworker, approve=True)
    services.approve_case(case, caseworker)
    db.session.commit()
    app.config["REDIS_URL"] = redis_url
    services.start_apply(case, caseworker)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Case, case.id).status is CaseStatus.EXECUTING  # queued, not yet run

    redis = Redis.from_url(redis_url)
    try:
        held = b"".join(redis.hget(key, "data") or b"" for key in redis.scan_iter("rq:job:*"))
        assert b"LS2 7EW" not in held
        SimpleWorker([Queue("default", connection=redis)], connection=redis).work(burst=True)
    finally:
        redis.close()
    db.session.expire_all()
    assert db.session.get(Case, case.id).status is CaseStatus.RESPONDED
    assert db.session.get(Pupil, world.amelia.id).postcode == "LS2 7EW"


def test_an_apply_whose_worker_died_is_queued_again_by_the_repair(
    app, case, world, caseworker, redis_url
) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from app.jobs.models import Job, JobStatus
    from app.jobs.repair import repair
    from app.rectification.tasks import APPLY_TASK

    proposal = services.propose(case, caseworker, PersonKind.PUPIL, world.amelia.id, "postcode", "LS2 7EW")
    services.decide(case, proposal.id, caseworker, approve=True)
    services.approve_case(case, caseworker)
    db.session.commit()
    app.config["REDIS_URL"] = redis_url
    services.start_apply(case, caseworker)
    db.session.commit()
    # A worker took the job and died: the row says running, RQ no longer has it.
    job = db.session.scalars(select(Job).where(Job.name == APPLY_TASK)).one()
    job.status = JobStatus.RUNNING
    db.session.commit()
    redis = Redis.from_url(redis_url)
    try:
        redis.flushdb()
        report = repair(queued_for=timedelta(minutes=15), running_for=timedelta(hours=1))
        db.session.commit()
        assert (report.abandoned, report.resumed) == (1, 1)
        assert db.session.get(Job, job.id).status is JobStatus.QUEUED
        SimpleWorker([Queue("default", connection=redis)], connection=redis).work(burst=True)
    finally:
        redis.close()
    db.session.expire_all()
    assert db.session.get(Case, case.id).status is CaseStatus.RESPONDED
    assert db.session.get(Pupil, world.amelia.id).postcode == "LS2 7EW"
    assert db.session.get(Job, job.id).status is JobStatus.SUCCEEDED
