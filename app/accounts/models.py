"""Staff who sign in to the console: the company's team and school staff."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, CreatedAt, EncryptedText, UUIDPrimaryKey
from app.orgs.models import Organisation


class Role(enum.StrEnum):
    ADMIN = "admin"
    CASEWORKER = "caseworker"
    SCHOOL = "school"


class User(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("(role = 'school') = (organisation_id IS NOT NULL)", name="school_users_have_org"),
    )

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="role", values_callable=lambda e: [m.value for m in e], native_enum=False, length=20)
    )
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText("users.totp_secret"))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship()
