"""The demo's nurseries are private day nurseries, each with its own lawful
bases where the register's are a state school's (``app.register.bases``):
the parents' own details and the letters they exchange with the nursery
are used under its contract with them; the child's record in the nursery's
legitimate interests, as the child is no party to that contract; what the
early years framework makes it record, to meet that legal obligation.

A parent there can therefore take their own data with the right to data
portability; the child's record stays outside it, as at a state school."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.orgs.models import Organisation, OrgKind
from app.register.models import LawfulBasis, OrganisationBasis, RegisterEntry

_HAS_US = " The nursery has us process it for it under its contract with us."
WORDING = {
    LawfulBasis.CONTRACT: "Contract (UK GDPR Art 6(1)(b)): the nursery needs the parents' own details, and "
    "what they write to it, for its contract with them for their child's place." + _HAS_US,
    LawfulBasis.LEGITIMATE_INTERESTS: "Legitimate interests (UK GDPR Art 6(1)(f)): the nursery needs the "
    "child's record to care for the child safely; the child is not a party to the parents' contract, and "
    "their interests come first." + _HAS_US,
    LawfulBasis.LEGAL_OBLIGATION: "Legal obligation (UK GDPR Art 6(1)(c)): the early years foundation "
    "stage framework requires the nursery to record children's attendance, progress and needs." + _HAS_US,
}
# The nursery's own bases by store and category; the staff record, the
# consent ledger and the access log keep the register's.
BASES = {
    ("contacts", "identity"): LawfulBasis.CONTRACT,
    ("contacts", "pupil_link"): LawfulBasis.CONTRACT,
    ("correspondence", "correspondence"): LawfulBasis.CONTRACT,
    ("pupils", "identity"): LawfulBasis.LEGITIMATE_INTERESTS,
    ("pupils", "characteristics"): LawfulBasis.LEGITIMATE_INTERESTS,
    ("pupils", "enrolment"): LawfulBasis.LEGITIMATE_INTERESTS,
    ("helpdesk", "support_ticket"): LawfulBasis.LEGITIMATE_INTERESTS,
    ("helpdesk", "support_email"): LawfulBasis.LEGITIMATE_INTERESTS,
    ("contacts", "pupil_contacts"): LawfulBasis.LEGITIMATE_INTERESTS,
    ("pupils", "attendance"): LawfulBasis.LEGAL_OBLIGATION,
    ("pupils", "assessment"): LawfulBasis.LEGAL_OBLIGATION,
    ("pupils", "send"): LawfulBasis.LEGAL_OBLIGATION,
}


def nursery_bases(session: Session) -> int:
    """Give every nursery its own bases; returns how many were set."""
    # Legitimate interests are for private nurseries only (Art 6(1), last sentence).
    nurseries = session.scalars(
        select(Organisation.id).where(
            Organisation.kind == OrgKind.NURSERY, Organisation.public_authority.is_(False)
        )
    ).all()
    rows = [
        OrganisationBasis(
            organisation_id=nursery,
            register_entry_id=entry.id,
            basis=BASES[entry.source, entry.category],
            lawful_basis=WORDING[BASES[entry.source, entry.category]],
        )
        for entry in session.scalars(select(RegisterEntry))
        if (entry.source, entry.category) in BASES
        for nursery in nurseries
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)
