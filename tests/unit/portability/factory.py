"""The register of a school that contracts with parents (not a test module).

The seeded register is a state school's: pupils' and parents' data held
for its public task, which the right to data portability does not cover.
An independent school holds what the family gave under its contract with
them; these helpers set that up, committed."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.register.models import LawfulBasis, RegisterEntry

# The stores an independent school holds under its contract with the family.
FAMILY_CONTRACT = ("pupils", "contacts", "correspondence", "helpdesk", "consent")


def contract_with_parents() -> None:
    for entry in db.session.scalars(select(RegisterEntry)):
        if entry.source in FAMILY_CONTRACT:
            entry.basis = LawfulBasis.CONTRACT
    db.session.commit()
