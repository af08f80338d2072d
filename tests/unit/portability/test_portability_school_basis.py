"""The right to data portability and the letters follow the basis of the
organisation the request was made to: a private school's own contract with
the family brings what the family gave into the right there, while the
same register leaves a state school's pupil outside it; the letter quotes
the school's own wording."""

from __future__ import annotations

from app.cases.models import RequestType
from app.exports.content import build_pack_content
from app.extensions import db
from app.portability.scope import Reason
from app.register import bases
from app.review import listing
from tests.unit.collect.factory import amelia_case_at_trust, confirm
from tests.unit.exports.factory import decide_all
from tests.unit.portability.factory import FAMILY_CONTRACT, SCHOOL_CONTRACT, school_contracts_with_parents
from tests.unit.review.factory import gathered_amelia, items_of


def _reviewed(case) -> set[tuple[str, str]]:
    return {(e.item.source, e.item.category) for e in listing.review(case, with_suggestions=False).items}


def test_a_schools_own_contract_brings_the_familys_data_into_the_right_there_only(world, caseworker):
    school_contracts_with_parents(world.elm)
    at_elm = gathered_amelia(world, caseworker, request_type=RequestType.PORTABILITY.value)
    assert ("pupils", "identity") in _reviewed(at_elm) and ("consent", "consent") in _reviewed(at_elm)
    not_portable = {(e.source, e.category): e for e in listing.review(at_elm).not_portable}
    assert not_portable[("pupils", "attendance")].reason is Reason.NOT_PROVIDED

    at_oak = gathered_amelia(
        world, caseworker, mother=False, request_type=RequestType.PORTABILITY.value, at_oak=True
    )
    assert _reviewed(at_oak) == set()
    identity = next(e for e in listing.review(at_oak).not_portable if e.category == "identity")
    assert identity.reason is Reason.BASIS and identity.basis == "Public task (Article 6(1)(e))"


def test_clearing_the_schools_basis_takes_the_data_back_out(world, caseworker):
    admin = school_contracts_with_parents(world.elm)
    case = gathered_amelia(world, caseworker, request_type=RequestType.PORTABILITY.value)
    covered = len(listing.items_of(case))
    assert covered > 0
    identity = next(row.entry for row in bases.bases_at(world.elm) if row.entry.category == "identity")
    assert (identity.source, identity.category) == ("contacts", "identity")
    pupil = next(
        row.entry
        for row in bases.bases_at(world.elm)
        if (row.entry.source, row.entry.category) == ("pupils", "identity")
    )
    assert bases.clear_basis(world.elm, pupil, admin) is True
    assert len(listing.items_of(case)) < covered
    assert ("pupils", "identity") not in _reviewed(case)


def test_the_letter_quotes_the_schools_own_wording_for_its_categories(world, caseworker):
    school_contracts_with_parents(world.elm)
    case = gathered_amelia(world, caseworker)  # an access request: every category is disclosed
    decide_all(case, caseworker)
    content = build_pack_content(case)
    facts = {(s.source, s.category): s.facts.lawful_basis for s in content.sections}
    assert facts[("pupils", "identity")] == SCHOOL_CONTRACT.format(name=world.elm.name)
    # The school set nothing for the other stores: the register's wording stays.
    others = {pair: text for pair, text in facts.items() if pair[0] not in FAMILY_CONTRACT}
    assert others and all("6(1)(b)" not in text for text in others.values())
    assert len(items_of(case)) == sum(len(s.items) for s in content.sections)


def test_a_portability_pack_sends_what_the_schools_contract_covers(world, caseworker):
    school_contracts_with_parents(world.elm)
    case = gathered_amelia(world, caseworker, request_type=RequestType.PORTABILITY.value)
    decide_all(case, caseworker)
    content = build_pack_content(case)
    sent = {(s.source, s.category) for s in content.sections}
    assert ("pupils", "identity") in sent and ("pupils", "attendance") not in sent
    reasons = {(n.source, n.category): n.reason for n in content.not_portable}
    assert reasons[("pupils", "attendance")] == Reason.NOT_PROVIDED.value


def test_information_about_others_is_withheld_under_article_20_4_in_a_portability_pack(world, caseworker):
    from app.review import services as review
    from app.review.models import Action

    school_contracts_with_parents(world.elm)
    portability = gathered_amelia(world, caseworker, request_type=RequestType.PORTABILITY.value)
    access = gathered_amelia(world, caseworker)
    citations = {}
    for case in (portability, access):
        decide_all(case, caseworker)
        key = next(i.key for i in listing.items_of(case) if i.category == "identity")
        review.decide(case, key, Action.WITHHOLD, "third_party", [], None, caseworker)
        rows = build_pack_content(case).schedule
        citations[case.request_type.value] = {r.exemption_citation for r in rows if r.exemption_citation}
    assert citations == {"portability": {"UK GDPR Art 20(4)"}, "access": {"DPA 2018 Sch 2 para 16"}}


def test_a_trusts_request_takes_the_bases_of_the_school_holding_the_records(world, caseworker):
    from app.register.bases import controller_of, register_for

    trust, case = amelia_case_at_trust(world, caseworker, request_type=RequestType.PORTABILITY.value)
    school_contracts_with_parents(world.elm)
    assert controller_of(case) == trust.id  # nothing confirmed yet: the trust's
    confirm(case, world.amelia, caseworker)
    assert controller_of(case) == world.elm.id
    identity = register_for(case).get(("pupils", "identity"))
    assert register_for(case).basis(identity).wording == SCHOOL_CONTRACT.format(name=world.elm.name)


def test_an_approved_portability_pack_sends_what_was_reviewed_whatever_the_bases_become(world, caseworker):
    from sqlalchemy import func, select

    from app.portability.models import CaseBasis
    from app.register.models import RegisterEntry
    from app.review import services as review

    admin = school_contracts_with_parents(world.elm)
    case = gathered_amelia(world, caseworker, request_type=RequestType.PORTABILITY.value)
    review.decide_many(case, [], "disclose", None, None, caseworker, undecided=True)
    review.approve(case, caseworker)
    db.session.commit()
    entries = db.session.scalar(select(func.count()).select_from(RegisterEntry))
    assert db.session.scalar(select(func.count()).where(CaseBasis.case_id == case.id)) == entries
    before = {(s.source, s.category): len(s.items) for s in build_pack_content(case).sections}
    assert ("pupils", "identity") in before

    # The school goes back to the register's public task for every category
    # it had put on contract: the approved pack does not change.
    for row in bases.bases_at(world.elm):
        if row.own is not None:
            bases.clear_basis(world.elm, row.entry, admin)
    db.session.commit()
    after = build_pack_content(case)
    assert {(s.source, s.category): len(s.items) for s in after.sections} == before
    identity = next(s for s in after.sections if s.category == "identity" and s.source == "pupils")
    assert identity.facts.lawful_basis == SCHOOL_CONTRACT.format(name=world.elm.name)


def test_an_access_request_records_no_bases_on_approval(world, caseworker):
    from sqlalchemy import func, select

    from app.portability.models import CaseBasis
    from app.review import services as review

    case = gathered_amelia(world, caseworker)
    review.decide_many(case, [], "disclose", None, None, caseworker, undecided=True)
    review.approve(case, caseworker)
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(CaseBasis.case_id == case.id)) == 0
