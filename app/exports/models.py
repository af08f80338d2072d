"""Response packs and the secure links that deliver them (DESIGN §7, §8).

A pack is built from the reviewed items once the case is approved: a PDF and
a zip of JSON/CSV, each an encrypted blob. Rebuilding makes a new version;
links always deliver the pack they were minted for, and stop working once a
newer version is ready (``app.exports.revocation``).

A link stores only SHA-256 of its token and a keyed hash of its 6-digit code;
the code goes out in a separate email from the link.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.blobs.models import Blob
from app.db import Base, CreatedAt, EncryptedText, UUIDPrimaryKey, str_enum


class PackStatus(enum.StrEnum):
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"
    DESTROYED = "destroyed"  # data keys shredded after the retention period


class ResponsePack(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "response_packs"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[PackStatus] = mapped_column(str_enum(PackStatus, "pack_status", 10))
    pdf_blob_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("blobs.id", ondelete="RESTRICT"))
    zip_blob_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("blobs.id", ondelete="RESTRICT"))
    pdf_pages: Mapped[int | None] = mapped_column(Integer)
    item_count: Mapped[int | None] = mapped_column(Integer)
    built_at: Mapped[datetime | None]
    built_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    # An exception type and a fixed sentence, never the exception's message.
    error_code: Mapped[str | None] = mapped_column(String(80))
    destroyed_at: Mapped[datetime | None]

    pdf_blob: Mapped[Blob | None] = relationship(foreign_keys=[pdf_blob_id])
    zip_blob: Mapped[Blob | None] = relationship(foreign_keys=[zip_blob_id])


class LinkAudience(enum.StrEnum):
    SCHOOL = "school"  # the organisation's registered data-protection contact
    REQUESTER = "requester"
    # Another organisation the requester named, to receive a portability
    # request's data directly (Art 20(2)).
    CONTROLLER = "controller"


class DownloadLink(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "download_links"

    pack_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("response_packs.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    audience: Mapped[LinkAudience] = mapped_column(str_enum(LinkAudience, "link_audience", 10))
    # None once the case record is reduced (app.cases.record_retention).
    recipient_email: Mapped[str | None] = mapped_column(EncryptedText("download_links.recipient_email"))
    # The organisation a CONTROLLER link went to, as the requester named it
    # (the other audiences' names are on the case); None once reduced.
    recipient_name: Mapped[str | None] = mapped_column(EncryptedText("download_links.recipient_name"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    max_downloads: Mapped[int] = mapped_column(Integer, default=3)
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_download_at: Mapped[datetime | None]

    pack: Mapped[ResponsePack] = relationship()
