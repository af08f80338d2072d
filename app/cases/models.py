"""A case (one rights request), its pauses, its timeline and its reminders.

Requester and subject details are sealed with the keyring (``EncryptedText``);
``duplicate_key`` is a keyed hash of them so duplicates can be found without
opening every row.

``due_on`` and ``internal_target_on`` are a cache for sorting only: the
clock (``app.cases.clock``) computes them from the stored inputs, and
``app.cases.clock_inputs.refresh_clock`` rewrites them in the same
transaction as every change to an input. Nothing else writes them.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.blobs.models import Blob
from app.db import Base, CreatedAt, EncryptedText, UUIDPrimaryKey, str_enum, utcnow
from app.orgs.models import Organisation


class RequestType(enum.StrEnum):
    ACCESS = "access"
    ERASURE = "erasure"
    RECTIFICATION = "rectification"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    PORTABILITY = "portability"
    CONSENT_WITHDRAWAL = "consent_withdrawal"


class Relationship(enum.StrEnum):
    SELF = "self"
    PARENT_CARER = "parent_carer"
    AUTHORISED_THIRD_PARTY = "authorised_third_party"


class SubjectRole(enum.StrEnum):
    PUPIL = "pupil"
    PARENT = "parent"
    STAFF = "staff"
    FORMER_STAFF = "former_staff"


class CaseStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    AWAITING_IDENTITY = "awaiting_identity"
    OPEN = "open"
    GATHERING = "gathering"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    EXECUTING = "executing"
    RESPONDED = "responded"
    PAUSED = "paused"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class IdentityMethod(enum.StrEnum):
    DOCUMENTS_SEEN = "documents_seen"
    KNOWN_TO_SCHOOL = "known_to_school"
    MATCHED_SCHOOL_RECORDS = "matched_school_records"


class RefusalReason(enum.StrEnum):
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"
    MANIFESTLY_EXCESSIVE = "manifestly_excessive"
    IDENTITY_NOT_PROVEN = "identity_not_proven"
    # The law lets the controller decline or requires it to keep the data:
    # an Art 17(3) exception to erasure, a DPA 2018 Schedule 2-4 exemption.
    EXCEPTION_APPLIES = "exception_applies"


def _enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    return str_enum(enum_cls, name, 30)


class Case(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_organisation_id_status", "organisation_id", "status"),
        CheckConstraint("status != 'paused' OR resume_status IS NOT NULL", name="paused_knows_where_back"),
    )

    # Issued on confirmation (SAR-YYYY-NNNNNN); unconfirmed submissions have none.
    reference: Mapped[str | None] = mapped_column(String(24), unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    request_type: Mapped[RequestType] = mapped_column(_enum(RequestType, "request_type"))
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus, "case_status"), default=CaseStatus.SUBMITTED)
    # Where a paused case goes back to when the answer arrives.
    resume_status: Mapped[CaseStatus | None] = mapped_column(_enum(CaseStatus, "case_resume_status"))

    # Who asked, about whom and what: every case has them until its record
    # is reduced years after closing (``record_reduced_at``), which sets
    # them to None (app.cases.record_retention).
    requester_name: Mapped[str | None] = mapped_column(EncryptedText("cases.requester_name"))
    requester_email: Mapped[str | None] = mapped_column(EncryptedText("cases.requester_email"))
    # Optional, so the DPO can call about the request.
    requester_phone: Mapped[str | None] = mapped_column(EncryptedText("cases.requester_phone"))
    requester_relationship: Mapped[Relationship] = mapped_column(
        _enum(Relationship, "requester_relationship")
    )
    subject_name: Mapped[str | None] = mapped_column(EncryptedText("cases.subject_name"))
    subject_dob: Mapped[str | None] = mapped_column(EncryptedText("cases.subject_dob"))  # ISO date, sealed
    subject_role: Mapped[SubjectRole] = mapped_column(_enum(SubjectRole, "subject_role"))
    subject_upn: Mapped[str | None] = mapped_column(EncryptedText("cases.subject_upn"))
    subject_staff_number: Mapped[str | None] = mapped_column(EncryptedText("cases.subject_staff_number"))
    description: Mapped[str | None] = mapped_column(EncryptedText("cases.description"))
    # A portability request's organisation to send the data to, as the
    # requester named it (app.portability.destination); None when they did
    # not. Sealed: the address may well be a person's own (a head teacher's).
    destination_name: Mapped[str | None] = mapped_column(EncryptedText("cases.destination_name"))
    destination_email: Mapped[str | None] = mapped_column(EncryptedText("cases.destination_email"))
    # HMAC-SHA256 of the normalised requester email, subject name and DOB;
    # None once the record is reduced, so no later request is linked to it.
    duplicate_key: Mapped[str | None] = mapped_column(String(64), index=True)
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))

    # Clock inputs (see app.cases.clock).
    received_on: Mapped[date]
    identity_received_on: Mapped[date | None]
    authority_received_on: Mapped[date | None]
    fee_allowed: Mapped[bool] = mapped_column(default=False)
    fee_received_on: Mapped[date | None]
    extended_on: Mapped[date | None]
    extension_reason: Mapped[str | None] = mapped_column(EncryptedText("cases.extension_reason"))
    extension_notice_sent_on: Mapped[date | None]
    # Sort cache, recomputed with every input change (see module docstring).
    due_on: Mapped[date | None] = mapped_column(index=True)
    internal_target_on: Mapped[date | None]

    identity_method: Mapped[IdentityMethod | None] = mapped_column(_enum(IdentityMethod, "identity_method"))
    identity_reason: Mapped[str | None] = mapped_column(EncryptedText("cases.identity_reason"))
    authority_evidence: Mapped[str | None] = mapped_column(EncryptedText("cases.authority_evidence"))
    identity_decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    refusal_reason: Mapped[RefusalReason | None] = mapped_column(_enum(RefusalReason, "refusal_reason"))
    refusal_detail: Mapped[str | None] = mapped_column(EncryptedText("cases.refusal_detail"))

    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Email confirmation (app.intake.codes): an HMAC of the 6-digit code, when
    # it was sent and the wrong codes typed since; and the SHA-256 of the
    # emailed link's random token. Never the code or the token themselves.
    code_digest: Mapped[str | None] = mapped_column(String(64))
    code_issued_at: Mapped[datetime | None]
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # When the copies of personal data the case gathered (items, candidate
    # summaries, evidence files, packs) were destroyed, some weeks after it
    # closed (app.exports.retention); the case record itself stays.
    copies_destroyed_at: Mapped[datetime | None]
    # When the record itself was reduced to what accountability needs,
    # years after closing (app.cases.record_retention).
    record_reduced_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    pauses: Mapped[list[CasePause]] = relationship(
        back_populates="case", order_by="CasePause.asked_on", cascade="all, delete-orphan"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.at", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[CaseEvidence]] = relationship(order_by="CaseEvidence.created_at")

    @property
    def subject_date_of_birth(self) -> date | None:
        return date.fromisoformat(self.subject_dob) if self.subject_dob else None

    @property
    def open_pause(self) -> CasePause | None:
        return next((pause for pause in self.pauses if pause.answered_on is None), None)

    def __repr__(self) -> str:
        return f"<Case {self.reference or self.id} {self.status.value}>"


class CasePause(UUIDPrimaryKey, CreatedAt, Base):
    """A clarification question that stopped the clock."""

    __tablename__ = "case_pauses"
    __table_args__ = (
        CheckConstraint("answered_on IS NULL OR answered_on >= asked_on", name="answered_after_asked"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    asked_on: Mapped[date]
    answered_on: Mapped[date | None]
    asked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(40))  # a code, e.g. clarify_scope
    # None only once the case's record was reduced (app.cases.record_retention).
    question: Mapped[str | None] = mapped_column(EncryptedText("case_pauses.question"))
    # The requester's own words when they answered on the status page; None
    # when the answer came another way (phone, letter) and staff resumed.
    answer: Mapped[str | None] = mapped_column(EncryptedText("case_pauses.answer"))

    case: Mapped[Case] = relationship(back_populates="pauses")


class CaseEvent(UUIDPrimaryKey, Base):
    """One line of the human-facing timeline; ``data`` holds codes and dates only."""

    __tablename__ = "case_events"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class EvidenceKind(enum.StrEnum):
    IDENTITY = "identity"
    AUTHORITY = "authority"


class CaseEvidence(UUIDPrimaryKey, CreatedAt, Base):
    """A file the requester sent to prove who they are or that they may act
    for the subject. The content is an encrypted blob; its type was found
    in the content (``Blob.content_type``), never taken from the browser."""

    __tablename__ = "case_evidence"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EvidenceKind] = mapped_column(str_enum(EvidenceKind, "evidence_kind", 10))
    blob_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("blobs.id", ondelete="RESTRICT"), index=True)
    filename: Mapped[str] = mapped_column(EncryptedText("case_evidence.filename"))
    # A clock input: the later of these starts the month (DESIGN §5).
    received_on: Mapped[date]
    # None when the requester uploaded it on their status page.
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    blob: Mapped[Blob] = relationship()

    @property
    def destroyed_at(self) -> datetime | None:
        """When the file was crypto-shredded (app.exports.retention), if it was."""
        return self.blob.destroyed_at


class CaseStatusLink(UUIDPrimaryKey, CreatedAt, Base):
    """A private link to a case's status page. Only the SHA-256 of the random
    token is kept, so each email that needs the link mints a new one; all of
    a case's links work until revoked or until the case has been closed for
    ``STATUS_LINK_DAYS_AFTER_CLOSE`` days (app.intake.status)."""

    __tablename__ = "case_status_links"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class CaseReminder(UUIDPrimaryKey, Base):
    """A reminder already sent: one per case, threshold and reminder date, so
    re-runs never repeat it and a moved date (pause, extension) starts afresh."""

    __tablename__ = "case_reminders"
    __table_args__ = (UniqueConstraint("case_id", "threshold", "target_on"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    threshold: Mapped[str] = mapped_column(String(10))  # "7", "3", "1" or "overdue"
    target_on: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseReferenceCounter(Base):
    """The last reference number issued in a year; one row per year, bumped
    with an atomic UPDATE ... RETURNING so concurrent confirmations never
    share a number (PostgreSQL row lock; SQLite has one writer)."""

    __tablename__ = "case_reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
