"""Which Art 6(1) basis a lawful-basis wording gives: by the first point
of Article 6(1) it cites, in any of the usual forms, or by a basis name at
its very start; a provision of another law, or a basis name inside an
ordinary sentence, gives none."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.register import bases, services
from app.register.citations import citation_conflict, cited_point, named_basis
from app.register.models import LawfulBasis, OrganisationBasis, RegisterEntry
from tests.signin import make_organisation, make_user

PUBLIC_TASK = LawfulBasis.PUBLIC_TASK
EDUCATION_ACT = "section 6(1)(a) of the Education Act 1996; public task 6(1)(e)"


@pytest.mark.parametrize(
    ("wording", "point"),
    [
        ("Art 6.1.e", "e"),
        ("Article 6(1) e", "e"),
        ("Article 6 paragraph 1 point (e)", "e"),
        ("6 ( 1 ) ( e ): the school's functions", "e"),
        ("Art. 6(1), point (c)", "c"),
        ("Article 6(1) e of the UK GDPR", "e"),
        (EDUCATION_ACT, "e"),
        ("regulation 6(1)(b) and Art 6(1)(c)", "c"),
        ("s.6(1)(a) and UK GDPR 6(1)(e)", "e"),
        ("Children Act 1989 6(1)(a)", None),
        ("para 6(1)(b) of Schedule 1", None),
        ("regulation 16(1)(a) of the regulations", None),
        ("Under Article 6(1) a school may keep it.", None),
    ],
)
def test_cited_point_reads_each_form_when_the_citation_is_of_article_6(wording, point):
    assert cited_point(wording) == point


@pytest.mark.parametrize(
    ("wording", "basis"),
    [
        ("Consent: parents agreed", LawfulBasis.CONSENT),
        ("Consent.", LawfulBasis.CONSENT),
        ("Public task (UK GDPR Art 6(1)(e)): the school's functions", PUBLIC_TASK),
        ("\u201cLegitimate interests\u201d \u2013 its own records", LawfulBasis.LEGITIMATE_INTERESTS),
        ("legal obligation [attendance registers]", LawfulBasis.LEGAL_OBLIGATION),
        ("Vital interests - an emergency", LawfulBasis.VITAL_INTERESTS),
        ("Contract with the school for the service", None),
        ("Public task: the contract with the school sets out how we process it", PUBLIC_TASK),
        ("We process it under the contract with the school.", None),
        ("Consent of the parents.", None),
    ],
)
def test_named_basis_counts_a_name_only_when_it_opens_the_wording(wording, basis):
    assert named_basis(wording) is basis


@pytest.mark.parametrize(
    ("wording", "basis", "message"),
    [
        ("Consent: parents agreed", PUBLIC_TASK, "names Consent (Article 6(1)(a)) as the basis"),
        ("Art 6.1.e: the school's functions", LawfulBasis.CONTRACT, "gives Article 6(1)(e)"),
        ("Article 6(1) e", LawfulBasis.CONSENT, "gives Article 6(1)(e)"),
        ("Article 6 paragraph 1 point (e)", LawfulBasis.LEGAL_OBLIGATION, "gives Article 6(1)(e)"),
        ("Kept under 6 (1)(e)", LawfulBasis.CONTRACT, "gives Article 6(1)(e)"),
        (EDUCATION_ACT, LawfulBasis.CONSENT, "gives Article 6(1)(e)"),
        # Both given; the citation is the one told.
        ("Public task (Art 6(1)(e))", LawfulBasis.CONTRACT, "gives Article 6(1)(e)"),
        ("Consent (Art 6(1)(e))", PUBLIC_TASK, "names Consent"),
    ],
)
def test_citation_conflict_is_reported_when_the_wording_gives_another_basis(wording, basis, message):
    conflict = citation_conflict(wording, basis)
    assert conflict is not None and message in conflict and basis.label in conflict


@pytest.mark.parametrize(
    ("wording", "basis"),
    [
        ("Consent: parents agreed", LawfulBasis.CONSENT),
        ("Art 6.1.e: the school's functions", PUBLIC_TASK),
        ("Article 6(1) e", PUBLIC_TASK),
        ("Article 6 paragraph 1 point (e)", PUBLIC_TASK),
        ("Kept under 6 (1)(e)", PUBLIC_TASK),
        # Another law's 6(1)(a) does not stand against public task.
        (EDUCATION_ACT, PUBLIC_TASK),
        ("Public task: the contract with the school sets out how we process it", PUBLIC_TASK),
        ("We need it for the contract with the school.", PUBLIC_TASK),
        ("Kept because the school needs it.", LawfulBasis.CONSENT),
    ],
)
def test_citation_conflict_is_none_when_the_wording_agrees_or_gives_no_basis(wording, basis):
    assert citation_conflict(wording, basis) is None


def _attendance() -> RegisterEntry:
    return db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == "pupils", RegisterEntry.category == "attendance")
    ).one()


def test_every_seeded_register_wording_agrees_with_its_basis_when_read_by_the_new_rule(app):
    assert [e.category for e in services.entries() if citation_conflict(e.lawful_basis, e.basis)] == []


def test_register_update_is_refused_when_the_wording_names_another_basis_without_a_citation(app):
    admin, _ = make_user("admin@example.org", Role.ADMIN, with_totp=False)
    entry = _attendance()  # public task
    with pytest.raises(services.RegisterError) as raised:
        services.update_entry(entry, {"lawful_basis": "Consent: parents agreed"}, admin)
    assert "names Consent (Article 6(1)(a))" in raised.value.errors["lawful_basis"]
    assert services.update_entry(entry, {"lawful_basis": EDUCATION_ACT}, admin) == ["lawful_basis"]


def test_organisation_basis_is_saved_when_another_laws_section_precedes_the_citation(app):
    admin, _ = make_user("admin@example.org", Role.ADMIN, with_totp=False)
    school = make_organisation("Hazel Primary")
    with pytest.raises(services.RegisterError):
        bases.set_basis(school, _attendance(), {"basis": "public_task", "lawful_basis": "Art 6.1.b"}, admin)
    values = {"basis": "public_task", "lawful_basis": EDUCATION_ACT}
    assert bases.set_basis(school, _attendance(), values, admin) is True
    db.session.commit()
    [stored] = db.session.scalars(select(OrganisationBasis)).all()
    assert stored.lawful_basis == EDUCATION_ACT
