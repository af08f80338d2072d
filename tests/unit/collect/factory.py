"""A case about a pupil of the sources' test world, ready to be matched and
gathered (not a test module). The world is ``tests.unit.sources.factories``:
Elm Primary holds Amelia (with a twin, Isla, and their mother), Oak Primary
a pupil with the same name, birthday and UPN; the mother may also ask Elm's
trust."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.accounts.models import User
from app.cases.models import Case
from app.collect import services
from app.collect.models import CaseCandidate
from app.extensions import db
from app.orgs.models import Organisation
from tests.signin import make_organisation
from tests.unit.cases.factory import opened_case
from tests.unit.sources.factories import MOTHER_EMAIL, TWINS_BORN, World

# Who asks for whose data in the mother's request for Amelia's.
MOTHERS_REQUEST = {
    "subject_name": "Amelia O'Brien-Núñez",
    "subject_dob": TWINS_BORN,
    "requester_name": "Siobhan O'Brien",
    "requester_email": MOTHER_EMAIL,
    "requester_relationship": "parent_carer",
}


def amelia_case(world: World, actor: User, *, at_oak: bool = False, **overrides) -> Case:
    """The mother's request for Amelia's data, at Elm (or Oak), identity accepted."""
    values = {**MOTHERS_REQUEST, "received_on": date(2025, 9, 1), **overrides}
    return opened_case(world.oak if at_oak else world.elm, actor, **values)


def amelia_case_at_trust(world: World, actor: User, **overrides) -> tuple[Organisation, Case]:
    """Elm put in a trust (Rowan Trust, committed), and the mother's request
    for Amelia's data made to the trust: identity accepted and the records
    searched, nothing confirmed yet, so the trust is still the controller.
    ``confirm(case, world.amelia, actor)`` makes Elm, which holds her
    record, the controller. Returns the trust and the case."""
    trust = make_organisation("Rowan Trust", kind="trust")
    world.elm.trust_id = trust.id
    db.session.commit()
    case = opened_case(trust, actor, **{**MOTHERS_REQUEST, **overrides})
    services.propose_candidates(case, actor)
    return trust, case


def candidate_for(case: Case, record_id) -> CaseCandidate:
    return db.session.scalars(
        select(CaseCandidate).where(CaseCandidate.case_id == case.id, CaseCandidate.record_id == record_id)
    ).one()


def confirm(case: Case, record, actor: User) -> None:
    """Confirm the candidate for ``record`` (a source's row) as the subject's, committed."""
    services.decide_candidate(case, candidate_for(case, record.id).id, actor, True)
    db.session.commit()


def confirmed_amelia(world: World, actor: User, *, at_oak: bool = False, **overrides) -> Case:
    """Amelia's case with her pupil record found and confirmed (committed)."""
    case = amelia_case(world, actor, at_oak=at_oak, **overrides)
    services.propose_candidates(case, actor)
    confirm(case, world.oak_amelia if at_oak else world.amelia, actor)
    return case
