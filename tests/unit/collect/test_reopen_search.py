"""A record confirmed wrongly shows up in review: reopening the search moves
the case back to open and discards what the gather and the review built on
it (items, decisions, runs, a draft erasure plan), so the DPO rejects it,
confirms the right one and gathers again. Only from review, only for
requests answered with what is held, and never by a plain move."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.cases import lifecycle
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseStatus
from app.collect import services
from app.collect.models import CollectedItem, SourceRun
from app.collect.reopen import reopen_search
from app.erasure.models import ErasurePlan
from app.erasure.plan import build_plan
from app.extensions import db
from app.review.models import ItemDecision
from tests.unit.collect.factory import candidate_for
from tests.unit.exports.factory import decide_all, gathered_case


def _count(model, case) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(model.case_id == case.id))


def test_reopening_discards_the_gather_and_lets_the_wrong_record_be_rejected_and_gathered_again(
    inline_jobs, world, caseworker
):
    case = gathered_case(world, caseworker)
    decide_all(case, caseworker)
    db.session.commit()
    assert _count(CollectedItem, case) > 0 and _count(ItemDecision, case) > 0
    runs = _count(SourceRun, case)

    discarded = reopen_search(case, caseworker)
    db.session.commit()
    assert case.status is CaseStatus.OPEN
    assert discarded["runs"] == runs and discarded["items"] > 0 and discarded["decisions"] > 0
    assert _count(CollectedItem, case) == _count(ItemDecision, case) == _count(SourceRun, case) == 0
    moved = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == "case.status_changed")
    ).all()[-1]
    assert moved.data["from"] == "in_review" and moved.data["to"] == "open"
    assert moved.data["search_reopened"] is True and moved.data["items"] == discarded["items"]

    # Open again, the confirmed records can be decided anew, and gathered again.
    services.decide_candidate(case, candidate_for(case, world.amelia.id).id, caseworker, False)
    services.decide_candidate(case, candidate_for(case, world.amelia.id).id, caseworker, True)
    services.start_gather(case, caseworker)
    db.session.commit()
    db.session.expire_all()
    assert case.status is CaseStatus.IN_REVIEW and _count(CollectedItem, case) > 0
    assert _count(ItemDecision, case) == 0  # the review starts afresh


def test_reopening_an_erasure_discards_its_draft_plan(inline_jobs, world, caseworker):
    case = gathered_case(world, caseworker, request_type="erasure")
    build_plan(case, caseworker)
    db.session.commit()
    assert reopen_search(case, caseworker)["erasure_plans"] == 1
    db.session.commit()
    assert db.session.scalars(select(ErasurePlan).where(ErasurePlan.case_id == case.id)).all() == []


def test_a_plain_move_from_review_to_open_is_refused(inline_jobs, world, caseworker):
    case = gathered_case(world, caseworker)
    assert CaseStatus.OPEN not in lifecycle.allowed_moves(case)
    with pytest.raises(IllegalTransition, match="discarded"):
        lifecycle.move(case, CaseStatus.OPEN, caseworker)
    assert _count(CollectedItem, case) > 0


def test_reopening_is_refused_outside_review(inline_jobs, world, caseworker):
    case = gathered_case(world, caseworker)
    decide_all(case, caseworker)
    lifecycle.move(case, CaseStatus.APPROVED, caseworker)
    db.session.commit()
    with pytest.raises(IllegalTransition, match="from review"):
        reopen_search(case, caseworker)
    assert case.status is CaseStatus.APPROVED and _count(CollectedItem, case) > 0


def test_reopening_is_refused_for_a_request_answered_from_its_own_page(world, caseworker):
    from tests.unit.collect.factory import confirmed_amelia

    case = confirmed_amelia(world, caseworker, request_type="restriction")
    for status in (CaseStatus.GATHERING, CaseStatus.IN_REVIEW):
        lifecycle.move(case, status, caseworker)
    db.session.commit()
    with pytest.raises(IllegalTransition, match="its own page"):
        reopen_search(case, caseworker)
    assert case.status is CaseStatus.IN_REVIEW
