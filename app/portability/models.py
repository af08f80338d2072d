"""The bases a data portability request was approved on.

What the right covers follows the basis of each category at the case's
controller (``app.register.bases``), which an administrator may change at
any time. The review decides on the items in scope under the bases of the
day; once the case is approved, the pack must send exactly what was
reviewed, so approval records the basis of every category and the pack
reads these rather than the register's current ones.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UUIDPrimaryKey, str_enum, utcnow
from app.register.models import LawfulBasis


class CaseBasis(UUIDPrimaryKey, Base):
    __tablename__ = "case_bases"
    __table_args__ = (UniqueConstraint("case_id", "register_entry_id"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    register_entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("processing_register.id", ondelete="CASCADE")
    )
    basis: Mapped[LawfulBasis] = mapped_column(str_enum(LawfulBasis, "lawful_basis_code", 30))
    lawful_basis: Mapped[str] = mapped_column(Text)
    # The organisation whose own basis it was; None for the register's.
    set_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
