"""The retention schedule as data, the setup imports it applies to, and legal holds.

``retention_rules`` holds one row per rule of the privacy policy (seeded by
migration 0011); the sweeper (``app.rights.retention``) reads the period,
action and ``enabled`` flag from here, so changing a period is a data change
rather than a release. How each rule finds its records (its anchor date and
store) is code, keyed by ``code``.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, EncryptedText, UUIDPrimaryKey, str_enum, utcnow


class PeriodUnit(enum.StrEnum):
    MONTHS = "months"
    YEARS = "years"
    # Academic years run 1 September to 31 August (see app.rights.periods).
    ACADEMIC_YEARS = "academic_years"


class RetentionAction(enum.StrEnum):
    DELETE = "delete"
    ANONYMISE = "anonymise"


class HoldSubject(enum.StrEnum):
    """What a legal hold covers. The person kinds spell the same values as
    ``PersonKind``, so a hold can be compared with ``message_people.person_kind``."""

    ORGANISATION = "organisation"
    PUPIL = "pupil"
    CONTACT = "contact"
    EMPLOYEE = "employee"


class RetentionRule(UUIDPrimaryKey, Base):
    __tablename__ = "retention_rules"
    # Zero for a rule that follows another record's end with no time of its own.
    __table_args__ = (CheckConstraint("period_count >= 0", name="period_not_negative"),)

    code: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(Text)
    # The store (``app.sources`` name, or ``setup_imports``) whose records the rule removes.
    store: Mapped[str] = mapped_column(String(40))
    period_count: Mapped[int]
    period_unit: Mapped[PeriodUnit] = mapped_column(str_enum(PeriodUnit, "retention_period_unit", 20))
    action: Mapped[RetentionAction] = mapped_column(str_enum(RetentionAction, "retention_action", 10))
    enabled: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<RetentionRule {self.code} {self.period_count} {self.period_unit.value} {self.action.value}>"


class SetupImport(UUIDPrimaryKey, Base):
    """A file of pupil data a school sent for processing (e.g. at initial
    set-up). The file itself is kept sealed for a year after processing, for
    customer service and disputes, then deleted by the retention sweeper."""

    __tablename__ = "setup_imports"
    __table_args__ = (
        CheckConstraint(
            "processed_at IS NULL OR processed_at >= received_at", name="processed_after_received"
        ),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    received_at: Mapped[datetime]
    # Unprocessed files are never swept: the period starts at processing.
    processed_at: Mapped[datetime | None] = mapped_column(index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    row_count: Mapped[int]
    payload: Mapped[str] = mapped_column(EncryptedText("setup_imports.payload"))


class LegalHold(UUIDPrimaryKey, Base):
    """Records that must not be deleted or anonymised while a claim,
    complaint or investigation runs. A hold on an organisation covers all of
    its records; a hold on a person covers that person's records and those
    that name them. A hold is active until ``released_at`` is set."""

    __tablename__ = "legal_holds"
    __table_args__ = (
        Index("ix_legal_holds_subject", "subject_kind", "subject_id"),
        CheckConstraint("released_at IS NULL OR released_at >= placed_at", name="released_after_placed"),
    )

    subject_kind: Mapped[HoldSubject] = mapped_column(str_enum(HoldSubject, "hold_subject", 20))
    # Not a foreign key: the subject may be in any of four tables.
    subject_id: Mapped[uuid.UUID]
    # Why the hold was placed may itself name people or a claim: sealed.
    reason: Mapped[str] = mapped_column(EncryptedText("legal_holds.reason"))
    placed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]
