"""The plan honours legal holds on other people its records name: a ticket
raised by a held member of staff, messages tagging a held teacher, a
parent's contact record linked to a held pupil are planned as "keep", with
the hold named (whom and when, never who nor why), so the DPO sees it before
approving and execution has nothing held to block on. Released, a rebuilt
plan changes them again."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case, CaseStatus
from app.db import utcnow
from app.erasure import services
from app.erasure.models import ErasurePlan, ErasureStep, PlanStatus, StepAction, StepState
from app.erasure.plan import build_plan
from app.extensions import db
from app.rights.models import HoldSubject, LegalHold
from app.rights.retention import ANONYMISED_NAME
from app.sources.contacts.models import Contact
from app.sources.correspondence.models import Message
from app.sources.employees.models import Employee
from app.sources.helpdesk.models import Ticket
from app.sources.pupils.models import Pupil
from tests.unit.erasure.factory import hold, mothers_own_erasure
from tests.unit.sources.factories import World, at, employee

GRIEVANCE = "Grievance 17/2025"
HELD_SINCE = "placed 6 January 2025"  # the factory's holds are placed then


def _shape(plan: ErasurePlan, *, without: str | None = None) -> list[tuple]:
    """What each step does to which records, in a comparable form."""
    return sorted(
        (
            s.source,
            s.category,
            s.action.value,
            s.record_count,
            s.reason_code,
            s.organisation_ids,
            s.record_ids,
        )
        for s in plan.steps
        if s.source != without
    )


def _head_of_year_ticket(world: World) -> tuple[Employee, Ticket]:
    """A second member of staff at Elm raised a ticket about Amelia."""
    staff = employee(db.session, world.elm, "Tomasz", "Reyes", staff_number="S1002", role="Head of year")
    ticket = Ticket(
        organisation_id=world.elm.id, reference="TT-HOY-1", opened_at=at(date(2025, 3, 4)),
        channel="email", status="resolved", category="Behaviour", subject="Report will not print",
        requester_name="Tomasz Reyes", requester_email="t.reyes@elm.sch.uk", requester_employee_id=staff.id,
        about_pupil_id=world.amelia.id,
    )  # fmt: skip
    db.session.add(ticket)
    db.session.commit()
    return staff, ticket


def _built(case: Case, actor) -> ErasurePlan:
    plan = build_plan(case, actor)
    db.session.commit()
    return plan


def _release(record: LegalHold) -> None:
    record.released_at = utcnow()
    db.session.commit()


def _step(plan: ErasurePlan, source: str, action: StepAction) -> ErasureStep:
    (step,) = [s for s in plan.steps if s.source == source and s.action is action]
    return step


def _executed(case: Case, actor) -> ErasurePlan:
    """Approve and execute (jobs inline); nothing may be blocked."""
    services.approve(case, actor)
    db.session.commit()
    services.execute(case, actor)
    db.session.commit()
    db.session.expire_all()
    plan = services.plan_for(db.session.get(Case, case.id))
    assert plan.status is PlanStatus.DONE and {s.state for s in plan.steps} == {StepState.DONE}
    assert db.session.get(Case, case.id).status is CaseStatus.RESPONDED
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == "erasure.blocked")
    ).all()
    return plan


def test_plan_keeps_a_ticket_raised_by_a_held_member_of_staff_and_nothing_else(erasure):
    world, actor, case = erasure
    (teachers_ticket,) = [
        str(ticket)
        for ticket in db.session.scalars(select(Ticket.id).where(Ticket.organisation_id == world.elm.id))
    ]
    staff, ticket = _head_of_year_ticket(world)
    before = _built(case, actor)
    unheld = _shape(before)
    assert _step(before, "helpdesk", StepAction.ANONYMISE).record_count == 2

    staff_hold = hold(HoldSubject.EMPLOYEE, staff.id, reason=GRIEVANCE)
    plan = _built(case, actor)

    kept = _step(plan, "helpdesk", StepAction.KEEP)
    assert (kept.category, kept.record_ids, kept.record_count) == (
        "support_ticket_about",
        [str(ticket.id)],
        1,
    )
    assert kept.reason_code == "legal_hold_other" and kept.hold_id == staff_hold.id
    assert kept.reason == (
        f"The records also concern a member of staff under a legal hold {HELD_SINCE}: needed for a legal "
        "claim (Art 17(3)(e)), kept until the hold is released."
    )
    # The sentence goes on the certificate: nothing of the member of staff nor the hold's sealed reason.
    assert GRIEVANCE not in kept.reason and "Reyes" not in kept.reason and "Tomasz" not in kept.reason
    changed = _step(plan, "helpdesk", StepAction.ANONYMISE)
    assert (changed.record_ids, changed.reason_code) == ([teachers_ticket], "ticket_of_another")
    assert _shape(plan, without="helpdesk") == _shape(before, without="helpdesk")
    built = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == "erasure.plan_built")
    ).all()
    assert sorted(event.data["held"] for event in built) == [0, 1]

    _release(staff_hold)
    again = _built(case, actor)
    assert _shape(again) == unheld and all(s.hold_id is None for s in again.steps)


def test_plan_built_under_a_hold_on_another_person_executes_to_the_end(erasure):
    world, actor, case = erasure
    staff, ticket = _head_of_year_ticket(world)
    hold(HoldSubject.EMPLOYEE, staff.id, reason=GRIEVANCE)
    _built(case, actor)

    plan = _executed(case, actor)
    # The helpdesk's job changed the teacher's ticket only; the held one is still there.
    assert _step(plan, "helpdesk", StepAction.KEEP).affected_count == 0
    assert _step(plan, "helpdesk", StepAction.ANONYMISE).affected_count == 1
    assert db.session.get(Ticket, ticket.id) is not None
    assert db.session.get(Pupil, world.amelia.id).legal_forename == ANONYMISED_NAME


def test_plan_keeps_messages_and_tickets_naming_a_held_teacher(erasure):
    """The teacher is tagged on Amelia's messages and raised the ticket about
    her: those are kept; her own pupil record is still anonymised."""
    world, actor, case = erasure
    before = _built(case, actor)
    teacher_hold = hold(HoldSubject.EMPLOYEE, world.teacher.id, reason=GRIEVANCE)
    plan = _built(case, actor)

    named = {s.source for s in plan.steps if s.hold_id == teacher_hold.id}
    assert named == {"correspondence", "helpdesk"}
    assert all(
        s.action is StepAction.KEEP and s.reason_code == "legal_hold_other" and HELD_SINCE in s.reason
        for s in plan.steps
        if s.source in named
    )
    assert sum(s.record_count for s in plan.steps if s.source == "correspondence") == 3
    assert [s for s in _shape(plan) if s[0] not in named] == [s for s in _shape(before) if s[0] not in named]

    _executed(case, actor)
    assert (
        len(db.session.scalars(select(Message.id).where(Message.organisation_id == world.elm.id)).all()) == 3
    )
    assert db.session.get(Pupil, world.amelia.id).legal_forename == ANONYMISED_NAME


def test_plan_keeps_a_parents_contact_record_linked_to_a_held_pupil(erasure):
    """The mother asks for her own data to be erased; her other child, Isla,
    is under a hold, and her contact record is linked to Isla."""
    world, actor, _ = erasure
    case = mothers_own_erasure(world, actor, world.mother.id)
    before = _built(case, actor)
    assert _step(before, "contacts", StepAction.DELETE).record_count == 1

    pupil_hold = hold(HoldSubject.PUPIL, world.isla.id)
    plan = _built(case, actor)
    kept = _step(plan, "contacts", StepAction.KEEP)
    assert kept.hold_id == pupil_hold.id and f"another pupil under a legal hold {HELD_SINCE}" in kept.reason
    assert _shape(plan, without="contacts") == _shape(before, without="contacts")

    _executed(case, actor)
    assert db.session.get(Contact, world.mother.id) is not None
