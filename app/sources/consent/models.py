"""The consent ledger (DESIGN §9): every consent given or withdrawn, as it
happened. Rows are only ever added; a withdrawal is a new row, never an
edit, so the ledger shows what was agreed to at any moment."""

from __future__ import annotations

import enum
import hashlib
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UUIDPrimaryKey, str_enum, utcnow
from app.sources.correspondence.models import PersonKind


class ConsentDecision(enum.StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class ConsentMethod(enum.StrEnum):
    WEB = "web"
    PAPER_SIGNATURE = "paper_signature"
    VERBAL = "verbal"


def wording_sha256(wording: str) -> str:
    """The digest stored beside the wording, so a later edit of the text
    (or a dispute about what was shown) can be checked."""
    return hashlib.sha256(wording.encode("utf-8")).hexdigest()


class ConsentRecord(UUIDPrimaryKey, Base):
    __tablename__ = "consent_records"
    __table_args__ = (
        Index("ix_consent_records_person", "person_kind", "person_id", "recorded_at"),
        CheckConstraint("length(wording_sha256) = 64", name="wording_sha256_length"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    person_kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind, "person_kind", 10))
    # Not a foreign key, like the access log: the ledger is evidence that
    # must outlive an erased or anonymised record.
    person_id: Mapped[uuid.UUID]
    # A processing-purpose code, e.g. "photos_public_website", "trip_medical".
    purpose: Mapped[str] = mapped_column(String(60))
    decision: Mapped[ConsentDecision] = mapped_column(str_enum(ConsentDecision, "consent_decision", 10))
    wording: Mapped[str] = mapped_column(Text)
    wording_version: Mapped[str] = mapped_column(String(40))
    wording_sha256: Mapped[str] = mapped_column(String(64))
    method: Mapped[ConsentMethod] = mapped_column(str_enum(ConsentMethod, "consent_method", 20))
    evidence: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(ConsentRecord, "before_update")
def _refuse_update(_mapper: object, _connection: object, target: ConsentRecord) -> None:
    raise ValueError("consent_records is append-only: record a new grant or withdrawal instead")
