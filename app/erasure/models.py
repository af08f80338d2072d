"""An erasure plan and its steps (DESIGN §9).

One plan per erasure case, rebuilt until it is approved. One step per store,
category and action, with the organisations it acts in (an organisation
under a legal hold gets its own "keep" step), the number of records and,
for anything kept, a reason code and a fixed sentence: never personal data.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.blobs.models import Blob
from app.db import Base, CreatedAt, UUIDPrimaryKey, str_enum


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"  # shown, rebuildable
    APPROVED = "approved"
    EXECUTING = "executing"
    DONE = "done"  # every step done, certificate stored


class StepAction(enum.StrEnum):
    DELETE = "delete"
    ANONYMISE = "anonymise"
    KEEP_NAME = "keep_name"  # identifying details removed, the name kept
    KEEP = "keep"


class StepState(enum.StrEnum):
    PLANNED = "planned"
    DONE = "done"


class ErasurePlan(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "erasure_plans"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus, "erasure_plan_status", 10))
    # The day the plan was built against: contract dates are judged on it.
    as_of: Mapped[date]
    built_at: Mapped[datetime]
    built_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    erased_on: Mapped[date | None]
    backups_expire_on: Mapped[date | None]
    certificate_blob_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("blobs.id", ondelete="RESTRICT"))
    certificate_pages: Mapped[int | None] = mapped_column(Integer)
    # The DPO's decisions to keep a whole category out of the erasure:
    # "source:category" -> a ground's code (``plan.SCOPE_REASONS``).
    kept_categories: Mapped[dict[str, str] | None] = mapped_column(JSON)

    steps: Mapped[list[ErasureStep]] = relationship(
        back_populates="plan", order_by="ErasureStep.position", cascade="all, delete-orphan"
    )
    certificate_blob: Mapped[Blob | None] = relationship(foreign_keys=[certificate_blob_id])

    @property
    def certificate_destroyed_at(self) -> datetime | None:
        """When the certificate's file was destroyed with the case record, if it was."""
        return self.certificate_blob.destroyed_at if self.certificate_blob else None


class ErasureStep(UUIDPrimaryKey, Base):
    __tablename__ = "erasure_steps"
    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("erasure_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    action: Mapped[StepAction] = mapped_column(str_enum(StepAction, "erasure_step_action", 10))
    # The organisations whose records the step acts on (ids as strings).
    organisation_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    # For stores whose rows the plan lists by id (messages, tickets): those ids.
    record_ids: Mapped[list[str] | None] = mapped_column(JSON)
    # Why anything is kept or only anonymised: a code and a fixed sentence.
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(400))
    hold_id: Mapped[uuid.UUID | None]
    state: Mapped[StepState] = mapped_column(str_enum(StepState, "erasure_step_state", 10))
    # What execution changed (rows), set with ``state = done`` in one transaction.
    affected_count: Mapped[int | None] = mapped_column(Integer)
    executed_at: Mapped[datetime | None]
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))

    plan: Mapped[ErasurePlan] = relationship(back_populates="steps")
