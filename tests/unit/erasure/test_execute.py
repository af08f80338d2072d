"""Approving and executing the plan: each store in one transaction, its
steps marked done with the work, a re-run changing nothing, the case
responded once with its certificate."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseStatus
from app.erasure import services
from app.erasure.models import PlanStatus, StepState
from app.erasure.plan import ErasureBlocked, build_plan
from app.extensions import db
from app.recipients.models import RecipientNotice
from app.rights.models import HoldSubject
from app.rights.retention import ANONYMISED_NAME, ANONYMISED_UPN, CONSENT_EVIDENCE_REMOVED
from app.sources.consent.models import ConsentRecord
from app.sources.correspondence.models import Message
from app.sources.helpdesk.models import Ticket
from app.sources.pupils.models import AttendanceWeek, Pupil, SendRecord
from tests.unit.erasure.factory import HOLD_REASON, hold


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _approved(case, actor):
    plan = build_plan(case, actor)
    db.session.commit()
    services.approve(case, actor)
    db.session.commit()
    return plan


def test_approve_records_who_and_moves_the_case_to_approved(erasure):
    _, actor, case = erasure
    plan = _approved(case, actor)
    assert case.status is CaseStatus.APPROVED
    assert plan.status is PlanStatus.APPROVED and plan.approved_by_id == actor.id and plan.approved_at


def test_approve_needs_a_plan(erasure):
    _, actor, case = erasure
    with pytest.raises(IllegalTransition, match="build the erasure plan first"):
        services.approve(case, actor)


def test_execute_needs_approval(erasure):
    _, actor, case = erasure
    build_plan(case, actor)
    with pytest.raises(IllegalTransition, match="approved erasure plan"):
        services.execute(case, actor)


def test_execute_refuses_a_person_held_since_approval(erasure):
    world, actor, case = erasure
    _approved(case, actor)
    hold(HoldSubject.PUPIL, world.amelia.id)
    with pytest.raises(ErasureBlocked, match=HOLD_REASON):
        services.execute(case, actor)
    db.session.rollback()
    assert db.session.get(Pupil, world.amelia.id).anonymised_at is None


def test_execute_erases_the_planned_data_and_responds(erasure):
    world, actor, case = erasure
    plan = _approved(case, actor)
    services.execute(case, actor)
    db.session.commit()  # the jobs run inline now
    db.session.expire_all()
    assert case.status is CaseStatus.RESPONDED
    assert plan.status is PlanStatus.DONE and {s.state for s in plan.steps} == {StepState.DONE}
    pupil = db.session.get(Pupil, world.amelia.id)
    assert (pupil.legal_forename, pupil.upn, pupil.postcode) == (ANONYMISED_NAME, ANONYMISED_UPN, None)
    assert pupil.ethnicity is None and pupil.date_of_birth.timetuple()[1:3] == (1, 1)
    assert _count(SendRecord, SendRecord.pupil_id == pupil.id) == 0
    # The school's registers stay with the anonymised record while its contract runs.
    assert _count(AttendanceWeek, AttendanceWeek.pupil_id == pupil.id) == 38
    assert _count(Message, Message.organisation_id == world.elm.id) == 0
    assert _count(Ticket, Ticket.about_pupil_id == pupil.id) == 0
    # Her consent entries stay (Art 7(1)) without their free-text evidence.
    consents = db.session.scalars(select(ConsentRecord).where(ConsentRecord.person_id == pupil.id)).all()
    assert consents and {row.evidence for row in consents} == {CONSENT_EVIDENCE_REMOVED}
    others = db.session.scalars(select(ConsentRecord.evidence).where(ConsentRecord.person_id != pupil.id))
    assert "Form on file" in set(others)
    # The twin and the other school are untouched.
    assert db.session.get(Pupil, world.isla.id).legal_forename == "Isla"
    assert db.session.get(Pupil, world.oak_amelia.id).anonymised_at is None
    assert _count(Message, Message.organisation_id == world.oak.id) == 3
    assert plan.erased_on and (plan.backups_expire_on - plan.erased_on).days == 90
    assert plan.certificate_blob is not None and plan.certificate_pages >= 1
    assert _count(RecipientNotice, RecipientNotice.case_id == case.id) >= 1


def test_execute_rerun_of_a_store_changes_nothing(erasure):
    _, actor, case = erasure
    plan = _approved(case, actor)
    services.execute(case, actor)
    db.session.commit()
    assert services.run_source(plan.id, "pupils") == 0
    db.session.commit()
    done = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == "erasure.step_done")
    ).all()
    assert len(done) == len(plan.steps) == len({event.data["step"] for event in done})
    moves = [
        e.data["to"]
        for e in db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_id == case.id, AuditEvent.action == "case.status_changed"
            )
        )
    ]
    assert moves.count("responded") == 1


def test_execute_store_job_is_one_transaction(erasure):
    """A failure part-way through a store's steps leaves none of them done
    and nothing changed in the store."""
    world, actor, case = erasure
    plan = _approved(case, actor)
    case.status = CaseStatus.EXECUTING
    plan.status = PlanStatus.EXECUTING
    db.session.commit()
    steps = [s for s in plan.steps if s.source == "pupils"]
    # The last pupils step names a category no target knows: it fails after the earlier steps ran.
    steps[-1].category = "unknown"
    db.session.commit()
    with pytest.raises(KeyError):
        services.run_source(plan.id, "pupils")
    db.session.rollback()
    assert _count(SendRecord, SendRecord.pupil_id == world.amelia.id) == 1
    assert {s.state for s in plan.steps if s.source == "pupils"} == {StepState.PLANNED}
