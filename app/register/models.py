"""One register entry per category of personal data a source holds.

The response letter draws the Art 15(1)(a)-(h) information for each category
it discloses from here, so an admin's correction reaches every later letter.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UUIDPrimaryKey, str_enum, utcnow


class LawfulBasis(enum.StrEnum):
    """The Art 6(1) basis a category is used on, as a code the rules can
    read; ``RegisterEntry.lawful_basis`` words it for the letters."""

    CONSENT = "consent"  # 6(1)(a)
    CONTRACT = "contract"  # 6(1)(b)
    LEGAL_OBLIGATION = "legal_obligation"  # 6(1)(c)
    VITAL_INTERESTS = "vital_interests"  # 6(1)(d)
    PUBLIC_TASK = "public_task"  # 6(1)(e)
    LEGITIMATE_INTERESTS = "legitimate_interests"  # 6(1)(f)

    @property
    def label(self) -> str:
        return _BASIS_LABELS[self]

    @property
    def point(self) -> str:
        """The letter of Article 6(1) it is: ``e`` for public task."""
        return "abcdef"[list(LawfulBasis).index(self)]


_BASIS_LABELS = {
    LawfulBasis.CONSENT: "Consent (Article 6(1)(a))",
    LawfulBasis.CONTRACT: "Contract (Article 6(1)(b))",
    LawfulBasis.LEGAL_OBLIGATION: "Legal obligation (Article 6(1)(c))",
    LawfulBasis.VITAL_INTERESTS: "Vital interests (Article 6(1)(d))",
    LawfulBasis.PUBLIC_TASK: "Public task (Article 6(1)(e))",
    LawfulBasis.LEGITIMATE_INTERESTS: "Legitimate interests (Article 6(1)(f))",
}


class RegisterEntry(UUIDPrimaryKey, Base):
    __tablename__ = "processing_register"
    __table_args__ = (UniqueConstraint("source", "category"),)

    # The pair a collected item carries (CollectedItem.source, .category).
    source: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list)
    lawful_basis: Mapped[str] = mapped_column(Text)
    basis: Mapped[LawfulBasis] = mapped_column(str_enum(LawfulBasis, "lawful_basis_code", 30))
    # Whether the person gave this data themself (a form they filled in, a
    # message they wrote, a consent they gave) rather than the school or the
    # service recording it about them: Art 20(1) covers only data "provided".
    provided_by_person: Mapped[bool]
    special_category_condition: Mapped[str | None] = mapped_column(Text)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    retention: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(Text)  # where the data came from (Art 15(1)(g))
    automated_decisions: Mapped[str] = mapped_column(Text)
    transfers: Mapped[str] = mapped_column(Text)  # outside the UK, and the safeguards (Art 15(2))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class OrganisationBasis(UUIDPrimaryKey, Base):
    """One organisation's own Art 6(1) basis for one register category.

    The register is the company's single list, but each school or nursery is
    the controller and decides its basis: a maintained school holds a
    pupil's record for its public task; a private nursery holds the parents'
    own details under its contract with them and the child's record in its
    legitimate interests. An organisation without an entry of its own takes
    its trust's, and a trust without one the register's.
    """

    __tablename__ = "organisation_bases"
    __table_args__ = (UniqueConstraint("organisation_id", "register_entry_id"),)

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    register_entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("processing_register.id", ondelete="CASCADE"), index=True
    )
    basis: Mapped[LawfulBasis] = mapped_column(str_enum(LawfulBasis, "lawful_basis_code", 30))
    lawful_basis: Mapped[str] = mapped_column(Text)  # as the letters word it
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
