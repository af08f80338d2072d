"""A register under which what the family gave is held on contract (not a
test module).

The seeded register is a state school's: pupils' and parents' data held
for its public task, which the right to data portability does not cover.
These helpers put the family's stores on contract, committed, so the rule
has data to take in; whether a school may rely on contract for a child's
own record (the child must be a party, as an older pupil at an independent
school may be) is the school's decision, not the rule's."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role, User
from app.extensions import db
from app.orgs.models import Organisation
from app.register import bases
from app.register.models import LawfulBasis, RegisterEntry
from tests.signin import make_user

# The stores put on contract.
FAMILY_CONTRACT = ("pupils", "contacts", "correspondence", "helpdesk", "consent")


def contract_with_parents() -> None:
    for entry in db.session.scalars(select(RegisterEntry)):
        if entry.source in FAMILY_CONTRACT:
            entry.basis = LawfulBasis.CONTRACT
    db.session.commit()


SCHOOL_CONTRACT = "Contract (UK GDPR Art 6(1)(b)): {name}'s contract with the family for the child's place."


def school_contracts_with_parents(organisation: Organisation) -> User:
    """``contract_with_parents`` for one school only, as its own basis (the
    register stays a state school's); returns the admin who set it."""
    admin = make_user(f"admin-{organisation.id.hex[:8]}@company.example", Role.ADMIN)[0]
    wording = SCHOOL_CONTRACT.format(name=organisation.name)
    for entry in db.session.scalars(select(RegisterEntry).where(RegisterEntry.source.in_(FAMILY_CONTRACT))):
        bases.set_basis(organisation, entry, {"basis": "contract", "lawful_basis": wording}, admin)
    db.session.commit()
    return admin
