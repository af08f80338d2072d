"""The erasure plan: one step per store, category and action, decided from
the policy facts, trimmed or refused by legal holds, rebuildable until approved."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.cases.lifecycle import IllegalTransition
from app.collect import services as collect
from app.erasure import services
from app.erasure.models import StepAction, StepState
from app.erasure.plan import ErasureBlocked, build_plan
from app.extensions import db
from app.rights.models import HoldSubject
from app.sources.pupils.models import Pupil, SendRecord
from tests.unit.collect.factory import amelia_case, candidate_for, confirmed_amelia
from tests.unit.erasure.factory import HOLD_REASON, hold
from tests.unit.sources.factories import TEACHER_EMAIL


def _steps(plan) -> dict[tuple[str, str], tuple[StepAction, int, str | None]]:
    return {(s.source, s.category): (s.action, s.record_count, s.reason_code) for s in plan.steps}


def test_plan_covers_every_store_and_category_of_the_match(erasure):
    world, actor, case = erasure
    plan = build_plan(case, actor, as_of=date(2025, 10, 1))
    db.session.commit()
    assert _steps(plan) == {
        ("pupils", "send"): (StepAction.DELETE, 1, None),
        ("pupils", "attendance"): (StepAction.KEEP, 38, "controller_record"),
        ("pupils", "assessments"): (StepAction.KEEP, 3, "controller_record"),
        ("pupils", "enrolments"): (StepAction.KEEP, 1, "controller_record"),
        ("pupils", "characteristics"): (StepAction.ANONYMISE, 1, "anonymised"),
        ("pupils", "identity"): (StepAction.ANONYMISE, 1, "anonymised"),
        ("correspondence", "correspondence"): (StepAction.DELETE, 3, None),
        ("helpdesk", "support_ticket_about"): (StepAction.ANONYMISE, 1, "ticket_of_another"),
        ("consent", "consent"): (StepAction.KEEP, 1, "art17_3_e_consent"),
        ("access_log", "access_log"): (StepAction.KEEP, 1, "art17_3_b_security"),
    }
    assert {s.state for s in plan.steps} == {StepState.PLANNED}
    assert all(s.organisation_ids == [str(world.elm.id)] for s in plan.steps)
    assert all(s.reason for s in plan.steps if s.action is not StepAction.DELETE)


def test_plan_deletes_school_records_once_the_contract_has_ended(erasure):
    world, actor, case = erasure
    world.elm.contract_end = date(2025, 7, 31)
    db.session.commit()
    steps = _steps(build_plan(case, actor, as_of=date(2025, 10, 1)))
    assert steps[("pupils", "attendance")] == (StepAction.DELETE, 38, None)
    assert steps[("pupils", "assessments")] == (StepAction.DELETE, 3, None)
    assert steps[("pupils", "identity")][0] is StepAction.ANONYMISE


def test_plan_follows_the_trusts_contract_for_a_member_school_without_its_own(erasure):
    from app.orgs.services import create_organisation

    world, actor, case = erasure
    trust = create_organisation(
        name="Beacon Learning Trust", kind="trust", nation="england", contract_start=date(2020, 1, 1),
        contract_end=date(2025, 7, 31), dp_contact_name="DPO", dp_contact_email="dpo@beacon.org.example",
    )  # fmt: skip
    world.elm.trust = trust
    db.session.commit()
    steps = _steps(build_plan(case, actor, as_of=date(2025, 10, 1)))
    assert steps[("pupils", "attendance")] == (StepAction.DELETE, 38, None)
    # A date of the school's own wins over the trust's.
    world.elm.contract_end = date(2027, 7, 31)
    db.session.commit()
    steps = _steps(build_plan(case, actor, as_of=date(2025, 10, 1)))
    assert steps[("pupils", "attendance")] == (StepAction.KEEP, 38, "controller_record")


def test_plan_keeps_an_employees_name_for_historical_reports(erasure):
    world, actor, _ = erasure
    case = amelia_case(world, actor, request_type="erasure", subject_name="Margaret Hughes",
                       subject_dob=date(1980, 2, 3), subject_role="staff", requester_name="Margaret Hughes",
                       requester_email=TEACHER_EMAIL, requester_relationship="self")  # fmt: skip
    collect.propose_candidates(case, actor)
    collect.decide_candidate(case, candidate_for(case, world.teacher.id).id, actor, True)
    db.session.commit()
    collect.start_gather(case, actor)
    db.session.commit()
    db.session.refresh(case)
    steps = _steps(build_plan(case, actor))
    assert steps[("employees", "employee")] == (StepAction.KEEP_NAME, 1, "historical_reports")
    # The ticket she raised is hers: deleted; the permission she gave is kept
    # as evidence, and it names her (the reason says so, not "a record number only").
    assert steps[("helpdesk", "support_ticket")] == (StepAction.DELETE, 1, None)
    assert steps[("access_log", "support_access")] == (StepAction.KEEP, 1, "art17_3_b_permission")
    assert ("pupils", "identity") not in steps


def test_plan_keeps_an_organisations_records_under_its_legal_hold(erasure):
    world, actor, case = erasure
    held = hold(HoldSubject.ORGANISATION, world.elm.id)
    plan = build_plan(case, actor)
    assert {s.action for s in plan.steps} == {StepAction.KEEP}
    assert {s.reason_code for s in plan.steps} == {"legal_hold"}
    assert {s.hold_id for s in plan.steps} == {held.id}
    assert HOLD_REASON not in " ".join(s.reason for s in plan.steps)


def test_plan_keeps_a_member_schools_records_under_its_trusts_legal_hold(erasure):
    from app.erasure.holds import described
    from app.orgs.services import create_organisation

    world, actor, case = erasure
    trust = create_organisation(
        name="Beacon Learning Trust", kind="trust", nation="england", contract_start=date(2020, 1, 1),
        dp_contact_name="DPO", dp_contact_email="dpo@beacon.org.example",
    )  # fmt: skip
    world.elm.trust = trust
    db.session.commit()
    held = hold(HoldSubject.ORGANISATION, trust.id)
    plan = build_plan(case, actor)
    assert {s.action for s in plan.steps} == {StepAction.KEEP}
    assert {s.hold_id for s in plan.steps} == {held.id}
    assert described([held])[0].startswith("every record of Beacon Learning Trust and its schools")


def test_plan_refuses_a_person_under_legal_hold_naming_the_reason(erasure):
    world, actor, case = erasure
    hold(HoldSubject.PUPIL, world.amelia.id)
    with pytest.raises(ErasureBlocked, match="Tribunal claim 2206/2024"):
        build_plan(case, actor)


def test_plan_ignores_a_released_hold(erasure):
    world, actor, case = erasure
    released = hold(HoldSubject.PUPIL, world.amelia.id)
    released.released_at = released.placed_at
    db.session.commit()
    assert build_plan(case, actor).steps


def test_plan_rebuild_replaces_steps_until_approved(erasure):
    world, actor, case = erasure
    first = build_plan(case, actor)
    db.session.commit()
    held = hold(HoldSubject.ORGANISATION, world.elm.id)
    again = build_plan(case, actor)
    db.session.commit()
    assert again.id == first.id and {s.action for s in again.steps} == {StepAction.KEEP}
    held.released_at = held.placed_at
    db.session.commit()
    assert StepAction.DELETE in {s.action for s in build_plan(case, actor).steps}
    services.approve(case, actor)
    db.session.commit()
    with pytest.raises(IllegalTransition, match="approved"):
        build_plan(case, actor)


def test_plan_changes_nothing_in_the_stores(erasure):
    world, actor, case = erasure
    build_plan(case, actor)
    db.session.commit()
    pupil = db.session.get(Pupil, world.amelia.id)
    assert pupil.legal_forename == "Amelia" and pupil.anonymised_at is None
    assert db.session.scalar(
        select(func.count()).select_from(SendRecord).where(SendRecord.pupil_id == pupil.id)
    )


def test_plan_refused_for_an_access_case(app, db_session):
    from tests.unit.erasure.factory import dpo
    from tests.unit.sources.factories import build_world

    app.config["REDIS_URL"] = None
    actor = dpo()
    world = build_world(db_session)
    case = confirmed_amelia(world, actor)
    with pytest.raises(IllegalTransition, match="only an erasure request"):
        build_plan(case, actor)
