"""Someone asking about themself whom no person store holds, but whose own
address is in the stores keyed by address (they wrote to the school or the
helpdesk), gets what that address finds: the gather starts with no record
confirmed and collects only from those stores. Nobody else's address opens
a gather that way, and an address that finds nothing does not either."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import CaseStatus
from app.collect import nothing_held, services
from app.collect.models import CollectedItem
from app.console.services import case_overview
from app.extensions import db
from app.sources.validation import FieldError
from tests.unit.collect.factory import amelia_case
from tests.unit.sources.factories import MOTHER_EMAIL

NOBODY = {"subject_name": "Zebedee Quartermaine", "subject_dob": date(2009, 2, 3)}


def _searched(world, actor, **overrides):
    case = amelia_case(world, actor, **{**NOBODY, **overrides})
    services.propose_candidates(case, actor)
    db.session.commit()
    return case


def _sources_collected(case) -> set[str]:
    return set(db.session.scalars(select(CollectedItem.source).where(CollectedItem.case_id == case.id)))


def test_gather_collects_what_the_requesters_own_address_holds_when_no_record_is_theirs(
    inline_jobs, db_session, world, caseworker
):
    case = _searched(world, caseworker, requester_relationship="self", requester_email=MOTHER_EMAIL)
    assert services.candidates_for(case) == []  # nothing to confirm
    assert "gather it" in (nothing_held.problem(case) or "")
    assert case_overview(case).action.title == "Start the gather"

    services.start_gather(case, caseworker)
    db_session.commit()  # the jobs run now, inline

    db_session.expire_all()
    assert case.status is CaseStatus.IN_REVIEW
    collected = _sources_collected(case)
    assert "correspondence" in collected  # the letters written to her address
    assert collected.isdisjoint({"pupils", "contacts", "employees"})  # no person record was confirmed
    started = db_session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == "case.status_changed")
    ).all()
    gathering = [event for event in started if event.data.get("to") == "gathering"]
    assert len(gathering) == 1 and "correspondence" in gathering[0].data["by_address"]
    assert gathering[0].data["records"] == 0


def test_gather_is_refused_with_no_record_when_the_address_is_a_parents(world, caseworker):
    # The same address, but a parent asking for a child: what it finds is the
    # parent's, not the subject's, so it cannot stand in for a record.
    case = _searched(world, caseworker, requester_relationship="parent_carer", requester_email=MOTHER_EMAIL)
    with pytest.raises(FieldError) as refused:
        services.start_gather(case, caseworker)
    assert refused.value.message == services.NOTHING_TO_GATHER
    assert case.status is CaseStatus.OPEN


def test_gather_is_refused_with_no_record_when_the_own_address_finds_nothing(world, caseworker):
    case = _searched(world, caseworker, requester_relationship="self", requester_email="zeb.q@example.org")
    with pytest.raises(FieldError, match="confirm at least one record"):
        services.start_gather(case, caseworker)
    assert case.status is CaseStatus.OPEN and nothing_held.problem(case) is None
    assert case_overview(case).action.title == "Answer that nothing is held"


def test_what_the_own_address_found_goes_through_review_into_a_ready_pack(
    inline_jobs, db_session, world, caseworker
):
    from app.cases import lifecycle
    from app.exports import packs
    from app.exports.models import PackStatus
    from tests.unit.exports.factory import decide_all

    case = _searched(world, caseworker, requester_relationship="self", requester_email=MOTHER_EMAIL)
    services.start_gather(case, caseworker)
    db_session.commit()
    db_session.expire_all()
    assert decide_all(case, caseworker) > 0
    lifecycle.move(case, CaseStatus.APPROVED, caseworker)
    db_session.commit()
    pack = packs.build_pack(case, caseworker)
    db_session.commit()  # the build job runs inline here
    db_session.expire_all()
    assert pack.status is PackStatus.READY, pack.error_code
    assert pack.item_count == len(
        db_session.scalars(select(CollectedItem.id).where(CollectedItem.case_id == case.id)).all()
    )


def test_an_erasure_by_own_address_takes_the_requester_off_the_letters_written_to_them(
    inline_jobs, db_session, world, caseworker
):
    from app.sources.correspondence.models import Message, MessageRecipient
    from tests.unit.erasure.factory import executed_plan

    def at_elm() -> list[MessageRecipient]:
        # The same address also wrote to Oak, another controller's school.
        return db_session.scalars(
            select(MessageRecipient)
            .join(Message, Message.id == MessageRecipient.message_id)
            .where(MessageRecipient.email == MOTHER_EMAIL, Message.organisation_id == world.elm.id)
        ).all()

    case = _searched(
        world, caseworker, requester_relationship="self", requester_email=MOTHER_EMAIL, request_type="erasure"
    )
    services.start_gather(case, caseworker)
    db_session.commit()
    db_session.expire_all()
    assert case.status is CaseStatus.IN_REVIEW
    assert at_elm()
    plan = executed_plan(case, caseworker)
    assert {step.source for step in plan.steps} >= {"correspondence"}
    assert at_elm() == []
