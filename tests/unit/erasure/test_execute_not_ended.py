"""An erasure being carried out is not refused or withdrawn half-way: the
lifecycle refuses both once its stores' jobs are queued, so every store is
erased and the case answered with its certificate; and a store's job finds
a case no longer executing (whatever moved it) and changes nothing, however
often it runs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.cases import services as case_services
from app.cases.lifecycle import ERASURE_UNDER_WAY, IllegalTransition, allowed_moves
from app.cases.models import Case, CaseStatus
from app.erasure import services
from app.erasure.models import ErasurePlan, PlanStatus, StepState
from app.erasure.plan import build_plan
from app.extensions import db
from app.jobs import Job, JobStatus
from app.jobs.runner import execute as run_job
from app.mail.models import OutboxMessage
from app.recipients.models import RecipientNotice
from app.sources.pupils.models import Pupil

NOWHERE = "redis://127.0.0.1:1/4"  # jobs are queued, but nothing runs them


def _queued(app, case: Case, actor) -> ErasurePlan:
    """The plan approved and executed, one job per store left queued."""
    plan = build_plan(case, actor)
    db.session.commit()
    services.approve(case, actor)
    db.session.commit()
    app.config["REDIS_URL"] = NOWHERE
    services.execute(case, actor)
    db.session.commit()
    app.config["REDIS_URL"] = None
    return plan


def _jobs(source: str | None = None) -> list[Job]:
    query = select(Job).where(Job.name == services.EXECUTE_TASK, Job.status == JobStatus.QUEUED)
    jobs = db.session.scalars(query.order_by(Job.created_at, Job.id)).all()
    return [job for job in jobs if source is None or job.args[1] == source]


def _run(jobs: list[Job]) -> None:
    for job in jobs:
        assert run_job(job.id).status is JobStatus.SUCCEEDED


def _mail(case: Case, category: str) -> int:
    query = select(func.count()).select_from(OutboxMessage)
    return db.session.scalar(
        query.where(OutboxMessage.case_id == case.id, OutboxMessage.category == category)
    )


def test_refuse_and_withdraw_are_refused_once_a_store_of_the_erasure_is_done(app, erasure):
    world, actor, case = erasure
    plan = _queued(app, case, actor)
    [access_log] = _jobs("access_log")
    _run([access_log])
    db.session.expire_all()
    assert case.status is CaseStatus.EXECUTING
    assert {s.state for s in plan.steps if s.source == "access_log"} == {StepState.DONE}

    assert allowed_moves(case) == {CaseStatus.RESPONDED}
    with pytest.raises(IllegalTransition, match=ERASURE_UNDER_WAY):
        case_services.refuse(case, actor, reason="exception_applies", detail="Art 17(3)(e): a claim.")
    db.session.rollback()
    with pytest.raises(IllegalTransition, match=ERASURE_UNDER_WAY):
        case_services.withdraw(case, actor, asked_by="email")
    db.session.rollback()

    _run(_jobs())  # every other store, the pupils' last
    db.session.expire_all()
    assert case.status is CaseStatus.RESPONDED and case.refusal_reason is None
    assert plan.status is PlanStatus.DONE and plan.certificate_blob_id is not None
    assert {s.state for s in plan.steps} == {StepState.DONE}
    assert db.session.scalar(select(func.count()).select_from(RecipientNotice)) > 0
    assert _mail(case, "case.erasure_done") == 1 and _mail(case, "case.refusal") == 0
    assert _mail(case, "case.withdrawal_confirmed") == 0
    assert db.session.get(Pupil, world.amelia.id).anonymised_at is not None


@pytest.mark.parametrize("status", [CaseStatus.REFUSED, CaseStatus.WITHDRAWN])
def test_store_jobs_change_nothing_once_the_case_is_no_longer_executing(app, erasure, status):
    world, actor, case = erasure
    plan = _queued(app, case, actor)
    case.status = status  # moved by no rule of today's lifecycle, say by an older release
    db.session.commit()

    _run(_jobs())
    for source in {step.source for step in plan.steps}:  # and again, as RQ may deliver twice
        assert services.run_source(plan.id, source) == 0
        db.session.commit()
    db.session.expire_all()
    assert case.status is status
    assert plan.status is PlanStatus.EXECUTING and plan.certificate_blob_id is None
    assert {s.state for s in plan.steps} == {StepState.PLANNED}
    assert db.session.get(Pupil, world.amelia.id).anonymised_at is None
    assert db.session.scalar(select(func.count()).select_from(RecipientNotice)) == 0
    assert _mail(case, "case.erasure_done") == 0
