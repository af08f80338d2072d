"""Staff who sign in to the console: the company's team and school staff,
their server-side sessions, recovery codes and password-reset links."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, CreatedAt, EncryptedText, UUIDPrimaryKey, str_enum, utcnow
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
    role: Mapped[Role] = mapped_column(str_enum(Role, "role", 20))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    # Set when enrolment starts; the second factor is in force only once
    # ``totp_confirmed_at`` is set (the user proved their app holds it).
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText("users.totp_secret"))
    totp_confirmed_at: Mapped[datetime | None]
    # The last accepted TOTP time-step: a code is accepted only for a later
    # step, so the same code (or an earlier one) never works twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[datetime | None]
    # Consecutive failed passwords or codes since the last complete sign-in.
    failed_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship()

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None and self.totp_confirmed_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class SessionStage(enum.StrEnum):
    PENDING = "pending"  # password accepted; second factor (or enrolment) still to come
    ACTIVE = "active"  # fully signed in


class StaffSession(UUIDPrimaryKey, Base):
    """One sign-in on one browser, held server-side.

    The browser's (signed) cookie carries only a random token; this row holds
    its SHA-256, so a copy of the database does not yield live sessions and a
    session ends for good when ``ended_at`` is set, whatever the cookie says.
    """

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_user_id_ended_at", "user_id", "ended_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    stage: Mapped[SessionStage] = mapped_column(str_enum(SessionStage, "staff_session_stage", 20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    # A code: signed_out, idle, absolute, expired, promoted, replaced, locked,
    # password_changed, password_reset, disabled, two_factor_reset.
    end_reason: Mapped[str | None] = mapped_column(String(20))

    user: Mapped[User] = relationship()


class RecoveryCode(UUIDPrimaryKey, CreatedAt, Base):
    """A single-use second factor for when the authenticator app is lost.

    Only a SHA-256 of the code is kept: codes carry 75 random bits, so a fast
    hash is safe against guessing offline, and one indexed lookup checks a code.
    """

    __tablename__ = "recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None]


class PasswordResetToken(UUIDPrimaryKey, CreatedAt, Base):
    """An emailed, single-use, short-lived password-reset link (its hash only)."""

    __tablename__ = "password_reset_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class StaffInvite(UUIDPrimaryKey, CreatedAt, Base):
    """An emailed, single-use invitation to choose a first password (its hash only).

    The invited user exists from the start, disabled and without a usable
    password, so nothing else (sign-in, reset links, API tokens) lets them in
    before the link is spent. ``used_at`` is set once, by a conditional update,
    whatever ends the link; ``end_reason`` says what: accepted, replaced,
    withdrawn or disabled.
    """

    __tablename__ = "staff_invites"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(20))
