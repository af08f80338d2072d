"""An organisation's own lawful basis for a register category: a school's
own first, then its trust's, then the register's; set and cleared only by
admins, validated as a whole, audited with the code chosen."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.register import bases
from app.register.models import LawfulBasis, OrganisationBasis, RegisterEntry
from app.register.services import NotAllowed, RegisterError
from tests.signin import make_organisation, make_user

NURSERY_CONTRACT = "Contract (UK GDPR Art 6(1)(b)): the nursery's contract with the parents for the place."
PUBLIC_TASK_AND_LAW = "Public task (Art 6(1)(e)), and some of it the law requires (Art 6(1)(c))."
TRUST_CONSENT = "Consent (UK GDPR Art 6(1)(a)): the family agreed to it on joining."


def _identity() -> RegisterEntry:
    return db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == "pupils", RegisterEntry.category == "identity")
    ).one()


@pytest.fixture
def estate(db_session):
    trust = make_organisation("Rowan Trust", kind="trust")
    return {
        "trust": trust,
        "member": make_organisation("Rowan Infants", trust=trust),
        "other_member": make_organisation("Rowan Juniors", trust=trust),
        "nursery": make_organisation("Little Acorns Nursery", kind="nursery"),
        "admin": make_user("ada@company.example", Role.ADMIN)[0],
        "caseworker": make_user("cas@company.example", Role.CASEWORKER)[0],
    }


def _row(organisation, entry: RegisterEntry) -> bases.BasisRow:
    return next(row for row in bases.bases_at(organisation) if row.entry.id == entry.id)


def test_register_basis_applies_where_nothing_is_set(estate):
    entry = _identity()
    row = _row(estate["nursery"], entry)
    assert row.effective == bases.Effective(entry.basis, entry.lawful_basis, None)
    assert row.own is None and not row.inherited_from_trust
    assert len(bases.bases_at(estate["nursery"])) == len(db.session.scalars(select(RegisterEntry)).all())


def test_own_basis_applies_at_the_organisation_only(estate):
    entry = _identity()
    changed = bases.set_basis(
        estate["nursery"], entry, {"basis": "contract", "lawful_basis": NURSERY_CONTRACT}, estate["admin"]
    )
    db.session.commit()
    assert changed is True
    row = _row(estate["nursery"], entry)
    assert row.effective.basis is LawfulBasis.CONTRACT and row.effective.wording == NURSERY_CONTRACT
    assert row.own is not None and row.effective.set_by == estate["nursery"].id
    assert _row(estate["member"], entry).effective.basis is LawfulBasis.PUBLIC_TASK
    assert bases.register_view().basis(entry).basis is LawfulBasis.PUBLIC_TASK


def test_trust_basis_reaches_its_schools_until_a_school_sets_its_own(estate):
    entry, admin = _identity(), estate["admin"]
    bases.set_basis(estate["trust"], entry, {"basis": "consent", "lawful_basis": TRUST_CONSENT}, admin)
    db.session.commit()
    member = _row(estate["member"], entry)
    assert member.effective.basis is LawfulBasis.CONSENT and member.inherited_from_trust
    assert member.own is None and member.effective.set_by == estate["trust"].id

    own = "Contract (Art 6(1)(b)): the school's contract with the parents."
    bases.set_basis(estate["member"], entry, {"basis": "contract", "lawful_basis": own}, admin)
    db.session.commit()
    assert _row(estate["member"], entry).effective.basis is LawfulBasis.CONTRACT
    assert _row(estate["other_member"], entry).effective.basis is LawfulBasis.CONSENT

    assert bases.clear_basis(estate["member"], entry, admin) is True
    db.session.commit()
    assert _row(estate["member"], entry).effective.basis is LawfulBasis.CONSENT
    assert bases.clear_basis(estate["trust"], entry, admin) is True
    db.session.commit()
    assert _row(estate["member"], entry).effective.basis is LawfulBasis.PUBLIC_TASK
    assert bases.clear_basis(estate["trust"], entry, admin) is False


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"basis": "because", "lawful_basis": NURSERY_CONTRACT}, "basis", "Choose the Article 6(1) basis"),
        ({"basis": "contract", "lawful_basis": "  "}, "lawful_basis", "Enter some text"),
        ({"basis": "contract"}, "lawful_basis", "Enter some text"),
        ({"basis": "contract", "lawful_basis": "x" * 2001}, "lawful_basis", "at most 2000"),
        ({"basis": "contract", "lawful_basis": "bad\x00text"}, "lawful_basis", "control characters"),
        ({"basis": "public_task", "lawful_basis": NURSERY_CONTRACT}, "lawful_basis", "gives Article 6(1)(b)"),
        ({"basis": "contract", "lawful_basis": NURSERY_CONTRACT, "title": "X"}, "title", "Not a field"),
    ],
)
def test_set_basis_refuses_bad_input_and_stores_nothing(estate, values, field, message):
    with pytest.raises(RegisterError) as raised:
        bases.set_basis(estate["nursery"], _identity(), values, estate["admin"])
    assert message in raised.value.errors[field]
    db.session.rollback()
    assert db.session.scalars(select(OrganisationBasis)).all() == []


def test_only_admins_set_or_clear_a_basis(estate):
    values = {"basis": "contract", "lawful_basis": NURSERY_CONTRACT}
    with pytest.raises(NotAllowed):
        bases.set_basis(estate["nursery"], _identity(), values, estate["caseworker"])
    bases.set_basis(estate["nursery"], _identity(), values, estate["admin"])
    db.session.commit()
    with pytest.raises(NotAllowed):
        bases.clear_basis(estate["nursery"], _identity(), estate["caseworker"])
    assert len(db.session.scalars(select(OrganisationBasis)).all()) == 1


def test_changes_are_audited_with_the_code_and_an_unchanged_save_is_not(estate):
    entry, admin, nursery = _identity(), estate["admin"], estate["nursery"]
    values = {"basis": "contract", "lawful_basis": NURSERY_CONTRACT}
    bases.set_basis(nursery, entry, values, admin)
    db.session.commit()
    assert bases.set_basis(nursery, entry, values, admin) is False
    bases.clear_basis(nursery, entry, admin)
    db.session.commit()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("register.basis_%")).order_by(AuditEvent.seq)
    ).all()
    assert [e.action for e in events] == ["register.basis_set", "register.basis_cleared"]
    assert all(e.object_id == nursery.id and e.actor_id == admin.id for e in events)
    assert events[0].data["basis"] == "contract" and events[0].data["register_entry_id"] == str(entry.id)
    assert NURSERY_CONTRACT not in str(events[0].data)


def test_a_deleted_register_entry_takes_the_organisations_bases_with_it(estate):
    entry = _identity()
    bases.set_basis(
        estate["nursery"], entry, {"basis": "contract", "lawful_basis": NURSERY_CONTRACT}, estate["admin"]
    )
    db.session.commit()
    db.session.delete(entry)
    db.session.commit()
    assert db.session.scalars(select(OrganisationBasis)).all() == []


@pytest.mark.parametrize(
    ("wording", "basis", "conflict"),
    [
        # The first point cited is the basis; a later one may say what else applies.
        (PUBLIC_TASK_AND_LAW, "public_task", False),
        (PUBLIC_TASK_AND_LAW, "legal_obligation", True),
        ("Article 6 (1) (B): the contract with the parents.", "contract", False),
        # Another provision's number is not a citation of Article 6(1).
        ("Legal obligation under regulation 16(1)(a) of the regulations.", "legal_obligation", False),
        ("Kept because the school needs it.", "consent", False),
    ],
)
def test_citation_conflict_reads_the_basis_the_wording_gives_first(wording, basis, conflict):
    from app.register.services import citation_conflict

    assert (citation_conflict(wording, LawfulBasis(basis)) is not None) is conflict
