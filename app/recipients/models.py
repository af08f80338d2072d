"""One notice per recipient of a subject's data and per change (Art 19)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedAt, UUIDPrimaryKey, str_enum


class Change(enum.StrEnum):
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    RESTRICTION_LIFTED = "restriction_lifted"


class RecipientKind(enum.StrEnum):
    # Only on notices recorded before it was settled that the controller
    # (the school, its trust) is no recipient of its own data: never recorded now.
    CONTROLLER = "controller"
    TRUST = "trust"
    # A recipient named in the processing register (e.g. the DfE).
    REGISTER = "register"


class NoticeChannel(enum.StrEnum):
    EMAIL = "email"
    # No contact registered with us: the school tells this recipient itself.
    SCHOOL = "school"
    # Nobody to tell: the register words this recipient as a kind of
    # recipient (``NoticeStatus.NONE_RECORDED``).
    NONE = "none"


class NoticeStatus(enum.StrEnum):
    SENT = "sent"
    # The school is to tell the recipient (we hold no contact for it).
    PENDING = "pending"
    # Closed when recorded: the register words this recipient as a kind of
    # recipient ("Others only where the law requires it"), not an
    # organisation, and no disclosure to one is recorded, so there is nobody
    # to tell. Kept so the case shows every register recipient was weighed.
    NONE_RECORDED = "no_record"


class RecipientNotice(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "recipient_notices"
    # A change is told to each recipient once, however often it is asked for.
    __table_args__ = (
        UniqueConstraint(
            "case_id", "change", "recipient_kind", "recipient_name", name="uq_recipient_notices_once"
        ),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    change: Mapped[Change] = mapped_column(str_enum(Change, "recipient_change", 20))
    recipient_kind: Mapped[RecipientKind] = mapped_column(str_enum(RecipientKind, "recipient_kind", 20))
    # An organisation's name, not a person's: recipients are bodies.
    recipient_name: Mapped[str] = mapped_column(String(300))
    channel: Mapped[NoticeChannel] = mapped_column(str_enum(NoticeChannel, "recipient_channel", 10))
    email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[NoticeStatus] = mapped_column(str_enum(NoticeStatus, "recipient_notice_status", 10))
    sent_at: Mapped[datetime | None]
    outbox_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
