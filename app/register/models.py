"""One register entry per category of personal data a source holds.

The response letter draws the Art 15(1)(a)-(h) information for each category
it discloses from here, so an admin's correction reaches every later letter.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UUIDPrimaryKey, utcnow


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
    special_category_condition: Mapped[str | None] = mapped_column(Text)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    retention: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(Text)  # where the data came from (Art 15(1)(g))
    automated_decisions: Mapped[str] = mapped_column(Text)
    transfers: Mapped[str] = mapped_column(Text)  # outside the UK, and the safeguards (Art 15(2))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
