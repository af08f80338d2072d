"""A case about a pupil of the sources' test world, ready to be matched and
gathered (not a test module). The world is ``tests.unit.sources.factories``:
Elm Primary holds Amelia (with a twin, Isla, and their mother), Oak Primary
a pupil with the same name, birthday and UPN."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.accounts.models import User
from app.cases.models import Case
from app.collect import services
from app.collect.models import CaseCandidate
from app.extensions import db
from tests.unit.cases.factory import opened_case
from tests.unit.sources.factories import MOTHER_EMAIL, TWINS_BORN, World


def amelia_case(world: World, actor: User, *, at_oak: bool = False, **overrides) -> Case:
    """The mother's request for Amelia's data, at Elm (or Oak), identity accepted."""
    values = {
        "subject_name": "Amelia O'Brien-Núñez",
        "subject_dob": TWINS_BORN,
        "requester_name": "Siobhan O'Brien",
        "requester_email": MOTHER_EMAIL,
        "requester_relationship": "parent_carer",
        "received_on": date(2025, 9, 1),
    }
    values.update(overrides)
    return opened_case(world.oak if at_oak else world.elm, actor, **values)


def candidate_for(case: Case, record_id) -> CaseCandidate:
    return db.session.scalars(
        select(CaseCandidate).where(CaseCandidate.case_id == case.id, CaseCandidate.record_id == record_id)
    ).one()


def confirmed_amelia(world: World, actor: User, *, at_oak: bool = False, **overrides) -> Case:
    """Amelia's case with her pupil record found and confirmed (committed)."""
    case = amelia_case(world, actor, at_oak=at_oak, **overrides)
    services.propose_candidates(case, actor)
    pupil = world.oak_amelia if at_oak else world.amelia
    services.decide_candidate(case, candidate_for(case, pupil.id).id, actor, True)
    db.session.commit()
    return case
