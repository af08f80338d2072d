"""Legal holds placed after the plan was approved (on the school, on the
person, on a member of staff the records name): refused at ``execute``;
after the stores' jobs were queued, each job covered stops before changing
anything, the case says why, and once the hold is released execution goes
on to the end. A hold on a school the plan does not touch changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseEvent, CaseStatus
from app.db import utcnow
from app.erasure import services
from app.erasure.models import ErasurePlan, PlanStatus, StepState
from app.erasure.plan import ErasureBlocked, build_plan
from app.extensions import db
from app.jobs import Job, JobStatus
from app.jobs.runner import execute as run_job
from app.rights.models import HoldSubject, LegalHold
from app.rights.retention import ANONYMISED_NAME
from app.sources.correspondence.models import Message
from app.sources.pupils.models import Pupil, SendRecord
from tests.unit.erasure.factory import HOLD_REASON, hold

NOWHERE = "redis://127.0.0.1:1/4"  # jobs are queued, but nothing runs them


def _approved(case: Case, actor) -> ErasurePlan:
    plan = build_plan(case, actor)
    db.session.commit()
    services.approve(case, actor)
    db.session.commit()
    return plan


def _release(record: LegalHold) -> None:
    record.released_at = utcnow()
    db.session.commit()


def _untouched(world) -> None:
    """Nothing of Amelia's at Elm was erased or anonymised."""
    db.session.expire_all()
    pupil = db.session.get(Pupil, world.amelia.id)
    assert pupil.anonymised_at is None and pupil.legal_forename != ANONYMISED_NAME
    assert db.session.scalars(select(SendRecord.id).where(SendRecord.pupil_id == pupil.id)).all()
    assert db.session.scalars(select(Message.id).where(Message.organisation_id == world.elm.id)).all()


def _erased(world) -> None:
    db.session.expire_all()
    assert db.session.get(Pupil, world.amelia.id).legal_forename == ANONYMISED_NAME
    assert not db.session.scalars(select(Message.id).where(Message.organisation_id == world.elm.id)).all()


def _actions(case: Case, action: str) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == action)
    ).all()


def test_execute_refuses_an_organisation_held_since_approval_until_released(erasure):
    world, actor, case = erasure
    plan = _approved(case, actor)
    school_hold = hold(HoldSubject.ORGANISATION, world.elm.id)

    with pytest.raises(ErasureBlocked, match=HOLD_REASON) as refused:
        services.execute(case, actor)
    assert "Elm Primary" in str(refused.value) and refused.value.hold_ids == [school_hold.id]
    db.session.rollback()
    _untouched(world)
    assert case.status is CaseStatus.APPROVED and plan.status is PlanStatus.APPROVED
    assert {step.state for step in plan.steps} == {StepState.PLANNED}
    assert db.session.scalars(select(Job.id).where(Job.name == services.EXECUTE_TASK)).all() == []

    _release(school_hold)
    services.execute(case, actor)
    db.session.commit()  # the jobs run inline now
    _erased(world)
    assert case.status is CaseStatus.RESPONDED and plan.status is PlanStatus.DONE


def test_execute_ignores_a_hold_on_an_organisation_the_plan_does_not_change(erasure):
    world, actor, case = erasure
    plan = _approved(case, actor)
    assert str(world.oak.id) not in {org for step in plan.steps for org in step.organisation_ids}
    hold(HoldSubject.ORGANISATION, world.oak.id)
    services.execute(case, actor)
    db.session.commit()
    _erased(world)
    assert case.status is CaseStatus.RESPONDED


def test_store_jobs_stop_under_a_hold_placed_after_they_were_queued(app, erasure):
    world, actor, case = erasure
    plan = _approved(case, actor)
    app.config["REDIS_URL"] = NOWHERE
    services.execute(case, actor)
    db.session.commit()
    app.config["REDIS_URL"] = None
    queued = db.session.scalars(
        select(Job).where(Job.name == services.EXECUTE_TASK, Job.status == JobStatus.QUEUED)
    ).all()
    assert len(queued) == len({step.source for step in plan.steps}) > 1

    with pytest.raises(IllegalTransition, match="already running"):
        services.execute(case, actor)
    db.session.rollback()

    school_hold = hold(HoldSubject.ORGANISATION, world.elm.id)
    for job in queued:  # a worker picks them up after the hold was placed
        assert run_job(job.id).status is JobStatus.SUCCEEDED
    _untouched(world)
    plan = db.session.get(ErasurePlan, plan.id)
    changing = {step.source for step in plan.steps if step.action.value != "keep"}
    # Every step of a store that changes something is still planned (a store
    # that only keeps records, such as the consent ledger, had nothing to stop).
    assert {step.state for step in plan.steps if step.source in changing} == {StepState.PLANNED}
    assert (
        plan.status is PlanStatus.EXECUTING and db.session.get(Case, case.id).status is CaseStatus.EXECUTING
    )
    # Why, on the case: the audit log and the timeline name the hold, by id only.
    blocked = _actions(case, "erasure.blocked")
    assert {event.data["source"] for event in blocked} == changing
    assert all(event.data["holds"] == [str(school_hold.id)] for event in blocked)
    timeline = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "erasure_blocked")
    ).all()
    assert len(timeline) == len(changing) and HOLD_REASON not in str([e.data for e in timeline])
    assert not _actions(case, "erasure.step_done") or all(
        event.data["action"] == "keep" for event in _actions(case, "erasure.step_done")
    )

    # Still held: asking again is refused with the reason, and changes nothing.
    with pytest.raises(ErasureBlocked, match=HOLD_REASON):
        services.execute(case, actor)
    db.session.rollback()

    _release(school_hold)
    services.execute(case, actor)
    db.session.commit()  # the stores left run inline now
    _erased(world)
    plan = db.session.get(ErasurePlan, plan.id)
    assert plan.status is PlanStatus.DONE and {step.state for step in plan.steps} == {StepState.DONE}
    assert db.session.get(Case, case.id).status is CaseStatus.RESPONDED
    (resumed,) = _actions(case, "erasure.resumed")
    assert resumed.actor_id == actor.id and set(resumed.data["sources"]) == changing


def test_store_job_stops_under_a_hold_on_the_person_placed_after_it_was_queued(app, erasure):
    world, actor, case = erasure
    plan = _approved(case, actor)
    app.config["REDIS_URL"] = NOWHERE
    services.execute(case, actor)
    db.session.commit()
    app.config["REDIS_URL"] = None
    person_hold = hold(HoldSubject.PUPIL, world.amelia.id)
    assert services.run_source(plan.id, "pupils") == 0
    db.session.commit()
    _untouched(world)
    (blocked,) = _actions(case, "erasure.blocked")
    assert blocked.data == {"plan": str(plan.id), "source": "pupils", "holds": [str(person_hold.id)]}
    assert {s.state for s in db.session.get(ErasurePlan, plan.id).steps if s.source == "pupils"} == {
        StepState.PLANNED
    }


def test_execute_refuses_while_a_record_it_changes_names_a_held_member_of_staff(erasure):
    """The teacher is tagged on Amelia's messages and raised the tickets
    about her: a hold on the teacher covers those records too."""
    world, actor, case = erasure
    _approved(case, actor)
    staff_hold = hold(HoldSubject.EMPLOYEE, world.teacher.id, reason="Grievance 17/2025")
    with pytest.raises(ErasureBlocked, match="Grievance 17/2025") as refused:
        services.execute(case, actor)
    assert "also concern a member of staff" in str(refused.value)
    assert refused.value.hold_ids == [staff_hold.id]
    db.session.rollback()
    _untouched(world)

    _release(staff_hold)
    services.execute(case, actor)
    db.session.commit()
    _erased(world)


def test_a_hold_on_a_named_member_of_staff_stops_only_the_stores_naming_them(app, erasure):
    world, actor, case = erasure
    plan = _approved(case, actor)
    app.config["REDIS_URL"] = NOWHERE
    services.execute(case, actor)
    db.session.commit()
    app.config["REDIS_URL"] = None
    staff_hold = hold(HoldSubject.EMPLOYEE, world.teacher.id, reason="Grievance 17/2025")
    for job in db.session.scalars(select(Job).where(Job.name == services.EXECUTE_TASK)).all():
        assert run_job(job.id).status is JobStatus.SUCCEEDED

    blocked = {event.data["source"] for event in _actions(case, "erasure.blocked")}
    assert blocked == {"correspondence", "helpdesk"}
    db.session.expire_all()
    # The pupil record names no one else: it was anonymised; the messages stay whole.
    assert db.session.get(Pupil, world.amelia.id).legal_forename == ANONYMISED_NAME
    assert db.session.scalars(select(Message.id).where(Message.organisation_id == world.elm.id)).all()
    plan = db.session.get(ErasurePlan, plan.id)
    assert {s.state for s in plan.steps if s.source in blocked} == {StepState.PLANNED}
    assert {s.state for s in plan.steps if s.source == "pupils"} == {StepState.DONE}

    _release(staff_hold)
    services.execute(case, actor)
    db.session.commit()
    _erased(world)
    assert db.session.get(ErasurePlan, plan.id).status is PlanStatus.DONE
    (resumed,) = _actions(case, "erasure.resumed")
    assert set(resumed.data["sources"]) == blocked
