"""Why an executing erasure stopped (``holds.stopped``), for the console to
offer to resume it: nothing while its stores' jobs are queued; the holds its
jobs stopped under since it last (re)started, and the stores left."""

from __future__ import annotations

from sqlalchemy import select

from app.cases.models import Case
from app.db import utcnow
from app.erasure import holds, services
from app.erasure.models import ErasurePlan
from app.erasure.plan import build_plan
from app.extensions import db
from app.jobs import Job, JobStatus
from app.jobs.runner import execute as run_job
from app.rights.models import HoldSubject
from tests.unit.erasure.factory import hold

NOWHERE = "redis://127.0.0.1:1/4"  # jobs are queued, but nothing runs them


def _queued(app, case: Case, actor) -> None:
    """``execute`` (first or again) with the stores' jobs left queued."""
    app.config["REDIS_URL"] = NOWHERE
    services.execute(case, actor)
    db.session.commit()
    app.config["REDIS_URL"] = None


def _run_queued() -> None:
    query = select(Job).where(Job.name == services.EXECUTE_TASK, Job.status == JobStatus.QUEUED)
    for job in db.session.scalars(query).all():
        assert run_job(job.id).status is JobStatus.SUCCEEDED


def _stopped(case: Case) -> holds.Stopped | None:
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    plan = db.session.scalars(select(ErasurePlan).where(ErasurePlan.case_id == case.id)).one()
    return holds.stopped(case, plan)


def test_stopped_names_only_the_holds_since_the_erasure_last_resumed(app, erasure):
    world, actor, case = erasure
    build_plan(case, actor)
    db.session.commit()
    services.approve(case, actor)
    db.session.commit()
    _queued(app, case, actor)
    assert _stopped(case) is None  # queued: under way, nothing to resume

    school_hold = hold(HoldSubject.ORGANISATION, world.elm.id)
    _run_queued()
    first = _stopped(case)
    assert first is not None and [h.id for h in first.holds] == [school_hold.id]
    assert first.sources == ["pupils", "correspondence", "helpdesk"]  # the plan's order

    school_hold.released_at = utcnow()
    db.session.commit()
    _queued(app, case, actor)
    assert _stopped(case) is None
    staff_hold = hold(HoldSubject.EMPLOYEE, world.teacher.id, reason="Grievance 17/2025")
    _run_queued()
    second = _stopped(case)
    # The pupil record names no one else and was done; the school's released hold is history.
    assert second is not None and [h.id for h in second.holds] == [staff_hold.id]
    assert second.sources == ["correspondence", "helpdesk"]

    staff_hold.released_at = utcnow()
    db.session.commit()
    services.execute(case, actor)
    db.session.commit()  # the stores left run inline now
    assert _stopped(case) is None
