"""A restriction per confirmed person record of a case, and the case's objections.

Reasons and grounds may describe the dispute in the subject's own terms, so
they are sealed; ids, kinds, codes and times are not.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedAt, EncryptedText, UUIDPrimaryKey, str_enum, utcnow
from app.register.models import LawfulBasis
from app.sources.protocol import PersonKind


class Restriction(UUIDPrimaryKey, Base):
    """One person record kept in storage only while ``lifted_at`` is None."""

    __tablename__ = "restrictions"
    __table_args__ = (
        Index("ix_restrictions_person", "person_kind", "person_id", "lifted_at"),
        # The daily lift finds the due rows by date.
        Index("ix_restrictions_lift_on", "lift_on"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    person_kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind, "restriction_person_kind", 10))
    # Not a foreign key: the record lives in its source's store.
    person_id: Mapped[uuid.UUID]
    # None only once the case's record was reduced (app.cases.record_retention).
    reason: Mapped[str | None] = mapped_column(EncryptedText("restrictions.reason"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lifted_at: Mapped[datetime | None]
    lifted_reason: Mapped[str | None] = mapped_column(EncryptedText("restrictions.lifted_reason"))
    lifted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The legal hold placed with the restriction and released with it: the
    # retention sweeper and the erasure plan already leave held records alone.
    hold_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("legal_holds.id", ondelete="SET NULL"))
    # A scheduled lift (Art 18(3)): the subject is told before it happens, so
    # the DPO names a day ahead, the letter goes at once, and the periodic
    # task lifts on that day only rows whose requester was told.
    lift_on: Mapped[date | None]
    lift_notified_at: Mapped[datetime | None]
    lift_reason: Mapped[str | None] = mapped_column(EncryptedText("restrictions.lift_reason"))
    lift_scheduled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    @property
    def lift_scheduled(self) -> bool:
        return self.active and self.lift_on is not None


class ObjectionDecision(enum.StrEnum):
    PENDING = "pending"
    # Processing for this purpose stops.
    UPHELD = "upheld"
    # Compelling legitimate grounds override the subject's interests (stated).
    REJECTED = "rejected"
    # Art 21(1) does not reach it: used on neither 6(1)(e) nor (f) (nor consent).
    NO_RIGHT = "no_right"


class Objection(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "objections"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    register_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("processing_register.id", ondelete="SET NULL")
    )
    # The purpose objected to, as the register words it (or a consent ledger purpose code).
    purpose: Mapped[str] = mapped_column(String(300))
    # A consent ledger purpose: an upheld objection withdraws that consent.
    consent_purpose: Mapped[str | None] = mapped_column(String(60))
    # Art 21(3): an objection to direct marketing is always upheld.
    direct_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    decision: Mapped[ObjectionDecision] = mapped_column(
        str_enum(ObjectionDecision, "objection_decision", 10), default=ObjectionDecision.PENDING
    )
    grounds: Mapped[str | None] = mapped_column(EncryptedText("objections.grounds"))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    # The basis the register entry objected to was used on at the case's
    # organisation when it was decided, and its wording: the letter quotes
    # what the decision rested on, not what the register says later. Null
    # without a register entry, and for objections decided before it was kept.
    basis: Mapped[LawfulBasis | None] = mapped_column(str_enum(LawfulBasis, "lawful_basis_code", 30))
    basis_wording: Mapped[str | None] = mapped_column(Text)
