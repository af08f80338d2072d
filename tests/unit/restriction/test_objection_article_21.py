"""Art 21(1) reaches processing for a public task or in legitimate interests
only. An objection to a register entry used on another basis at the case's
organisation (the register's legal obligation, a school's own contract with
the parents) is decided as outside the right and the requester is told the
basis; one the right reaches cannot be, nor one to direct marketing."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.register import bases
from app.register.models import RegisterEntry
from app.restriction import objections
from app.restriction.letters import objection_decided
from app.restriction.models import ObjectionDecision
from app.restriction.services import RestrictionError
from tests.unit.api.estate import make_user
from tests.unit.collect.factory import amelia_case_at_trust, confirm, confirmed_amelia
from tests.unit.restriction.factory import basis_at, photo_consent, register_entry

CONTRACT = "Contract (UK GDPR Art 6(1)(b)): the school's contract with the parents for the child's place."


def _objection(world, caseworker, entry: RegisterEntry, **values):
    case = confirmed_amelia(world, caseworker, request_type="objection")
    return case, objections.record_objection(case, caseworker, register_entry_id=entry.id, **values)


def test_public_task_processing_is_within_the_right_so_it_is_upheld_or_rejected(app, world, caseworker):
    case, objection = _objection(world, caseworker, register_entry("pupils", "identity"))
    assert objections.outside_article_21(case, objection) is None
    with pytest.raises(RestrictionError) as refused:
        objections.decide_no_right(case, objection, caseworker, not_direct_marketing=True)
    assert "The right to object applies" in refused.value.errors["decision"]
    assert "Public task (Article 6(1)(e))" in refused.value.errors["decision"]
    assert objection.decision is ObjectionDecision.PENDING


def test_a_legal_obligation_is_outside_the_right_and_cannot_be_rejected_on_grounds(app, world, caseworker):
    case, objection = _objection(world, caseworker, register_entry("access_log", "access_log"))
    outside = objections.outside_article_21(case, objection)
    assert outside is not None and outside.basis.value == "legal_obligation"
    with pytest.raises(RestrictionError) as refused:
        objections.decide_objection(case, objection, caseworker, uphold=False, grounds="We must keep it.")
    assert "Decide it as outside the right" in refused.value.errors["decision"]
    objections.decide_no_right(case, objection, caseworker, not_direct_marketing=True)
    db.session.commit()
    assert objection.decision is ObjectionDecision.NO_RIGHT and objection.grounds is None
    letter = objection_decided(case)
    assert "the right to object does not apply" in letter.body
    assert register_entry("access_log", "access_log").lawful_basis in letter.body


def test_a_schools_own_contract_puts_its_record_outside_the_right(app, world, caseworker):
    admin = make_user("ada@company.example", Role.ADMIN)
    entry = register_entry("pupils", "identity")
    bases.set_basis(world.elm, entry, {"basis": "contract", "lawful_basis": CONTRACT}, admin)
    db.session.commit()
    case, objection = _objection(world, caseworker, entry)
    objections.decide_no_right(case, objection, caseworker, not_direct_marketing=True)
    db.session.commit()
    assert CONTRACT in objection_decided(case).body
    # At a school that set nothing the same entry is its public task, and the right applies.
    at_oak = confirmed_amelia(world, caseworker, request_type="objection", at_oak=True)
    other = objections.record_objection(at_oak, caseworker, register_entry_id=entry.id)
    assert objections.outside_article_21(at_oak, other) is None


def test_upholding_stays_open_whatever_the_basis(app, world, caseworker):
    case, objection = _objection(world, caseworker, register_entry("access_log", "access_log"))
    objections.decide_objection(case, objection, caseworker, uphold=True)
    assert objection.decision is ObjectionDecision.UPHELD


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"direct_marketing": True}, "absolute right"),
        ({}, "no register entry"),
    ],
)
def test_no_right_is_refused_for_direct_marketing_and_without_a_registerregister_entry(
    app, world, caseworker, values, message
):
    case = confirmed_amelia(world, caseworker, request_type="objection")
    if values:
        objection = objections.record_objection(
            case, caseworker, register_entry_id=register_entry("access_log", "access_log").id, **values
        )
        assert objections.outside_article_21(case, objection) is None
    else:
        objection = objections.record_objection(case, caseworker, purpose="Sharing with the local council")
    with pytest.raises(RestrictionError) as refused:
        objections.decide_no_right(case, objection, caseworker, not_direct_marketing=True)
    assert message in refused.value.errors["decision"]


def test_consent_processing_is_stopped_by_upholding_not_declared_outside(app, world, caseworker):
    admin = make_user("ada@company.example", Role.ADMIN)
    entry = register_entry("pupils", "characteristics")
    wording = "Consent (UK GDPR Art 6(1)(a)): the family agreed to it."
    bases.set_basis(world.elm, entry, {"basis": "consent", "lawful_basis": wording}, admin)
    db.session.commit()
    case, objection = _objection(world, caseworker, entry)
    with pytest.raises(RestrictionError) as refused:
        objections.decide_no_right(case, objection, caseworker, not_direct_marketing=True)
    assert "Consent (Article 6(1)(a))" in refused.value.errors["decision"]


CONSENT = "Consent (UK GDPR Art 6(1)(a)): the family agreed to it."


@pytest.mark.parametrize("grounds", ["We need the data for the school's own records.", None])
def test_consent_processing_cannot_be_rejected_on_compelling_grounds(app, world, caseworker, grounds):
    entry = register_entry("pupils", "characteristics")
    basis_at(world.elm, entry, "consent", CONSENT)
    case, objection = _objection(world, caseworker, entry)
    assert objections.outside_article_21(case, objection) is None
    with pytest.raises(RestrictionError) as refused:
        objections.decide_objection(case, objection, caseworker, uphold=False, grounds=grounds)
    # The decision is what is wrong, whatever the grounds: no grounds would make it right.
    assert set(refused.value.errors) == {"decision"}
    assert "Article 7(3)" in refused.value.errors["decision"]
    assert refused.value.errors["decision"].endswith("Uphold the objection")
    assert objection.decision is ObjectionDecision.PENDING
    objections.decide_objection(case, objection, caseworker, uphold=True)
    assert objection.decision is ObjectionDecision.UPHELD


def test_rejecting_consent_processing_says_the_named_consent_is_withdrawn_by_upholding(
    app, world, caseworker
):
    photo_consent(world)
    entry = register_entry("pupils", "characteristics")
    basis_at(world.elm, entry, "consent", CONSENT)
    case, objection = _objection(world, caseworker, entry, consent_purpose="photos_website")
    with pytest.raises(RestrictionError) as refused:
        objections.decide_objection(case, objection, caseworker, uphold=False, grounds="We need them.")
    assert "Uphold the objection and the consent named is withdrawn" in refused.value.errors["decision"]


def test_no_right_is_refused_when_the_objection_names_a_consent(app, world, caseworker):
    photo_consent(world)
    # A legal obligation alone would put it outside the right; the consent named is withdrawn by upholding.
    case, objection = _objection(
        world, caseworker, register_entry("access_log", "access_log"), consent_purpose="photos_website"
    )
    assert objections.outside_article_21(case, objection) is None
    with pytest.raises(RestrictionError) as refused:
        objections.decide_no_right(case, objection, caseworker, not_direct_marketing=True)
    assert "Uphold the objection and the consent named is withdrawn" in refused.value.errors["decision"]
    assert objection.decision is ObjectionDecision.PENDING


def test_no_right_with_grounds_is_refused_on_the_grounds(app, world, caseworker):
    case, objection = _objection(world, caseworker, register_entry("access_log", "access_log"))
    with pytest.raises(RestrictionError) as refused:
        objections.decide_no_right(
            case, objection, caseworker, not_direct_marketing=True, grounds="The law requires it."
        )
    assert refused.value.errors == {"grounds": "No grounds are given when the right does not apply"}
    objections.decide_no_right(case, objection, caseworker, not_direct_marketing=True, grounds="  ")
    assert objection.decision is ObjectionDecision.NO_RIGHT


def test_a_trusts_case_takes_the_basis_of_the_school_holding_the_record(app, world, caseworker):
    from app.cases.models import RequestType

    _trust, case = amelia_case_at_trust(world, caseworker, request_type=RequestType.OBJECTION.value)
    entry = register_entry("pupils", "identity")
    basis_at(world.elm, entry, "contract", CONTRACT)
    confirm(case, world.amelia, caseworker)
    objection = objections.record_objection(case, caseworker, register_entry_id=entry.id)
    # Elm holds her record and contracts with the parents: the trust itself set nothing.
    outside = objections.outside_article_21(case, objection)
    assert outside is not None and outside.set_by == world.elm.id
