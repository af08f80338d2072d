"""Bearer tokens for the REST API: one staff user may hold several, each named."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, CreatedAt, UUIDPrimaryKey


class ApiToken(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "api_tokens"

    # A user's credentials mean nothing without the user, so they go with it.
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Shown in lists so a person can tell their tokens apart; not a secret.
    prefix: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the whole token. The token itself is shown once and never
    # stored: a copy of the database does not let anyone call the API.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix} of {self.user_id}>"
