"""Declarative base, key and time conventions, and the encrypted column type."""

from __future__ import annotations

import enum
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, LargeBinary, MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

# Explicit constraint names keep Alembic migrations reproducible and let
# SQLite's batch mode find constraints by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> uuid.UUID:
    """A version 7 UUID: random enough to be unguessable in URLs, and ordered
    by creation time so that inserts into large B-tree indexes stay local."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80
    value |= int.from_bytes(os.urandom(10), "big") & ((1 << 80) - 1)
    value &= ~(0xF << 76)
    value |= 0x7 << 76  # version 7
    value &= ~(0x3 << 62)
    value |= 0x2 << 62  # RFC 4122 variant
    return uuid.UUID(int=value)


def str_enum(enum_cls: type[enum.Enum], name: str, length: int) -> Enum:
    """A Python enum stored by value as a checked VARCHAR: readable in SQL,
    and new members need no ALTER TYPE on PostgreSQL."""
    return Enum(
        enum_cls,
        name=name,
        values_callable=lambda members: [member.value for member in members],
        native_enum=False,
        length=length,
    )


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes, always stored and returned in UTC.

    SQLite has no timezone type; values are stored as naive UTC there and
    given their zone back on load. Naive input is refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EncryptedText(TypeDecorator[str]):
    """A text column sealed with the application keyring (see ``app.crypto``).

    Stored as ``version | key id | nonce | AES-256-GCM ciphertext``; the
    column's ``purpose`` (``"table.column"``) is bound in as associated data,
    so a value copied into another column does not open.
    """

    impl = LargeBinary
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        if value is None:
            return None
        from app.crypto import seal_value

        return seal_value(value.encode("utf-8"), self.purpose)

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        if value is None:
            return None
        from app.crypto import open_value

        return open_value(bytes(value), self.purpose).decode("utf-8")


class Base(DeclarativeBase):
    # One explicit registry, so Flask-SQLAlchemy's generated subclass keeps
    # the same metadata and annotation map.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            uuid.UUID: Uuid(as_uuid=True),
            datetime: UTCDateTime(),
            str: String(),
        },
    )


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
