"""What the collector stores for a case: the candidate records the DPO
confirms or rejects, one run per source, and the items collected.

Anything that can hold personal data (a candidate's summary, an item's title
and data) is sealed with the keyring; ids, codes, counts and times are not.
"""

from __future__ import annotations

import enum
import json
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedAt, EncryptedText, UUIDPrimaryKey, str_enum, utcnow
from app.sources.protocol import PersonKind


class Decision(enum.StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CaseCandidate(UUIDPrimaryKey, CreatedAt, Base):
    """A record a source found that may be the subject (or, for someone
    acting for another, the requester). Never used until confirmed."""

    __tablename__ = "case_candidates"
    __table_args__ = (UniqueConstraint("case_id", "source", "record_id"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(40))
    kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind, "candidate_kind", 10))
    # Not a foreign key: the record lives in its source's store (maybe another database).
    record_id: Mapped[uuid.UUID]
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # short codes, e.g. upn_exact
    about: Mapped[str] = mapped_column(String(20), default="subject")  # subject or requester
    # JSON of name, date of birth, school, role: personal data, so sealed.
    summary_json: Mapped[str] = mapped_column("summary", EncryptedText("case_candidates.summary"))
    decision: Mapped[Decision] = mapped_column(
        str_enum(Decision, "candidate_decision", 10), default=Decision.PROPOSED
    )
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads(self.summary_json)

    def fits_role(self, role: str) -> bool:
        """Whether the record is from a store of the role the request gives
        (a pupil record for a pupil). The search covers every person store
        whatever the role, so the console marks a record of another kind."""
        # Here, not at the top: the stores' modules import this package's neighbours.
        from app.sources.registry import get_source

        return role in getattr(get_source(self.source), "roles", ())


class SourceRun(UUIDPrimaryKey, CreatedAt, Base):
    """One source's part of a case's gather: the ICO's "systems searched" line."""

    __tablename__ = "source_runs"
    __table_args__ = (UniqueConstraint("case_id", "source"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(40))
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, "source_run_status", 10))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    item_count: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # An exception type (or "abandoned") and a fixed sentence: never the
    # exception's own message, which may quote personal data.
    error_code: Mapped[str | None] = mapped_column(String(80))
    error_message: Mapped[str | None] = mapped_column(String(300))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow)


class CollectedItem(UUIDPrimaryKey, Base):
    """One piece of the subject's data, as a source gave it, sealed."""

    __tablename__ = "collected_items"
    __table_args__ = (
        UniqueConstraint("case_id", "key"),
        Index("ix_collected_items_case_id_source", "case_id", "source"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    # Stable across runs (see app.sources.protocol.Item), so a re-run replaces.
    key: Mapped[str] = mapped_column(String(200))
    # The title may name the subject, so it is sealed like the data.
    title: Mapped[str] = mapped_column(EncryptedText("collected_items.title"))
    occurred_on: Mapped[date | None]
    data_json: Mapped[str] = mapped_column("data", EncryptedText("collected_items.data"))
    collected_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.data_json)
