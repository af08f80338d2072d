"""What a rectification case stores: one proposal per field of a confirmed
record, and the confirmation letters sent.

The before and proposed values and the decision's reason are personal data,
so they are sealed with the keyring; ids, codes and times are not.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.blobs.models import Blob
from app.db import Base, CreatedAt, EncryptedText, UUIDPrimaryKey, str_enum
from app.sources.protocol import PersonKind


class ProposalStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REFUSED = "refused"
    APPLIED = "applied"
    # The store's value changed after the proposal was made: not written.
    STALE = "stale"


class RectificationLetter(UUIDPrimaryKey, CreatedAt, Base):
    """A rendered confirmation letter, stored as an encrypted blob."""

    __tablename__ = "rectification_letters"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    blob_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("blobs.id", ondelete="RESTRICT"))
    pages: Mapped[int] = mapped_column(Integer)
    built_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    blob: Mapped[Blob] = relationship()

    @property
    def destroyed_at(self) -> datetime | None:
        """When the letter's file was destroyed with the case record, if it was."""
        return self.blob.destroyed_at


class RectificationProposal(UUIDPrimaryKey, CreatedAt, Base):
    """One field of one confirmed record, the value it had when proposed and
    the value asked for."""

    __tablename__ = "rectification_proposals"
    __table_args__ = (UniqueConstraint("case_id", "kind", "record_id", "field"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind, "rectification_kind", 10))
    # Not a foreign key, as for candidates: the record lives in its store.
    record_id: Mapped[uuid.UUID]
    field: Mapped[str] = mapped_column(String(40))
    before_value: Mapped[str | None] = mapped_column(EncryptedText("rectification_proposals.before_value"))
    proposed_value: Mapped[str | None] = mapped_column(
        EncryptedText("rectification_proposals.proposed_value")
    )
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus, "rectification_status", 10), default=ProposalStatus.PROPOSED
    )
    reason: Mapped[str | None] = mapped_column(EncryptedText("rectification_proposals.reason"))
    proposed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    applied_at: Mapped[datetime | None]
    # The confirmation letter that reported this proposal's outcome.
    letter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("rectification_letters.id", ondelete="SET NULL")
    )
