"""One review decision per collected item.

An item with no decision row has not been reviewed; approval needs every
item decided (a bulk "disclose the rest" exists for that). A decision
discloses the item, withholds it, or redacts spans of its text fields;
withholding and redacting always carry an exemption code. The note may
quote the item, so it is sealed; spans are offsets only.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, EncryptedText, UUIDPrimaryKey, str_enum, utcnow
from app.review.exemptions import Exemption


class Action(enum.StrEnum):
    DISCLOSE = "disclose"
    WITHHOLD = "withhold"
    REDACT = "redact"


class ItemDecision(UUIDPrimaryKey, Base):
    __tablename__ = "review_decisions"
    __table_args__ = (UniqueConstraint("case_id", "item_key"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # The item's stable key (CollectedItem.key), not its row id: a re-gather
    # replaces the rows but keeps the decisions.
    item_key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the item's data when decided: if a re-gather changes the
    # item, the decision must be looked at again before the pack is built.
    item_digest: Mapped[str] = mapped_column(String(64))
    action: Mapped[Action] = mapped_column(str_enum(Action, "review_action", 10))
    exemption: Mapped[Exemption | None] = mapped_column(str_enum(Exemption, "review_exemption", 30))
    # [{"field": "body", "start": 10, "end": 24}, ...]: character offsets into
    # the item's text fields, applied by app.review.redaction.
    redactions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(EncryptedText("review_decisions.note"))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
