"""An erasure case about Amelia of the sources' test world, gathered and in
review, so its plan can be built (not a test module)."""

from __future__ import annotations

from datetime import date

from app.accounts.models import Role, User
from app.cases.models import Case, CaseStatus
from app.collect import services as collect
from app.erasure import services
from app.erasure.models import ErasurePlan
from app.erasure.plan import build_plan
from app.extensions import db
from app.rights.models import HoldSubject, LegalHold
from tests.unit.api.estate import make_user
from tests.unit.cases.factory import opened_case
from tests.unit.collect.factory import candidate_for, confirmed_amelia
from tests.unit.sources.factories import MOTHER_EMAIL, World, at, build_world

HOLD_REASON = "Tribunal claim 2206/2024"


def dpo() -> User:
    return make_user("dpo.erasure@rightsdesk.example", Role.ADMIN)


def gathered_erasure(world: World, actor: User) -> Case:
    """Amelia's mother asks for Amelia's data to be erased; the gather ran
    inline (no Redis), so the case is in review."""
    case = confirmed_amelia(world, actor, request_type="erasure")
    collect.start_gather(case, actor)
    db.session.commit()
    db.session.refresh(case)
    assert case.status is CaseStatus.IN_REVIEW, case.status
    return case


def mothers_own_erasure(world: World, actor: User, contact_id) -> Case:
    """Amelia's mother asks for her own data to be erased; her contact
    record (``contact_id``) confirmed and gathered, the case in review."""
    case = opened_case(
        world.elm, actor, request_type="erasure", requester_name="Siobhan O'Brien",
        requester_email=MOTHER_EMAIL, requester_relationship="self", subject_name="Siobhan O'Brien",
        subject_role="parent", received_on=date(2025, 9, 1),
    )  # fmt: skip
    collect.propose_candidates(case, actor)
    collect.decide_candidate(case, candidate_for(case, contact_id).id, actor, True)
    db.session.commit()
    collect.start_gather(case, actor)
    db.session.commit()
    return case


def erasure_world(app, db_session) -> tuple[World, User, Case]:
    app.config["REDIS_URL"] = None  # jobs inline, in this process
    actor = dpo()
    world = build_world(db_session, years=1)
    return world, actor, gathered_erasure(world, actor)


def hold(kind: HoldSubject, subject_id, reason: str = HOLD_REASON) -> LegalHold:
    record = LegalHold(
        subject_kind=kind, subject_id=subject_id, reason=reason, placed_at=at(date(2025, 1, 6))
    )
    db.session.add(record)
    db.session.commit()
    return record


def executed_plan(case: Case, actor: User) -> ErasurePlan:
    """The case's erasure plan built, approved and executed (jobs inline), committed."""
    plan = build_plan(case, actor)
    db.session.commit()
    services.approve(case, actor)
    db.session.commit()
    services.execute(case, actor)
    db.session.commit()
    db.session.expire_all()
    return plan
