"""Blobs stored encrypted in the database, one data key each (``app.crypto``).

Keeping the sealed chunks in PostgreSQL means any worker machine can read any
blob with only the database and Redis, and backups cover them with the rest.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, CreatedAt, UUIDPrimaryKey


class DataKey(UUIDPrimaryKey, CreatedAt, Base):
    """A blob's own key, stored only wrapped by a master key.

    Destroying it (``wrapped_key`` set to NULL) crypto-shreds the blob: the
    chunks, and any copies of them in backups, can no longer be opened.
    """

    __tablename__ = "data_keys"
    __table_args__ = (
        CheckConstraint(
            "(wrapped_key IS NULL) = (destroyed_at IS NOT NULL)", name="destroyed_iff_unwrapped"
        ),
    )

    # Which master key wraps it; rotation and `flask keys status` query on it.
    master_key_id: Mapped[str] = mapped_column(String(40))
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    destroyed_at: Mapped[datetime | None]


class Blob(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "blobs"

    data_key_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_keys.id", ondelete="RESTRICT"), unique=True
    )
    content_type: Mapped[str] = mapped_column(String(200))
    # Of the plaintext. The digest is cleared when the blob is shredded: it
    # could otherwise confirm a guess of the destroyed content.
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    chunk_size: Mapped[int] = mapped_column(Integer)

    data_key: Mapped[DataKey] = relationship()

    @property
    def destroyed_at(self) -> datetime | None:
        """When the blob was crypto-shredded (its data key destroyed), if it was."""
        return self.data_key.destroyed_at


class BlobChunk(Base):
    """One sealed segment of a blob's stream; ``seq`` 0 is the stream header."""

    __tablename__ = "blob_chunks"

    blob_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("blobs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
