"""API tokens: issuing, checking and revoking.

A token is ``rd_<prefix>_<secret>``. Only its SHA-256 is stored: the secret
has 256 bits of entropy, so a fast hash is enough (no password stretching is
needed) and lookup by hash is a plain index search. The prefix is stored in
clear so people can tell their tokens apart.

Callers commit; every issue and revocation is an audit event in the same
transaction, holding ids only (never the token's name, which is free text).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select

from app.accounts.models import Role, User
from app.accounts.scoping import NotInScope
from app.accounts.services import user_can_authenticate
from app.api.models import ApiToken
from app.audit.services import record
from app.crypto import token_digest
from app.db import utcnow
from app.extensions import db
from app.sources.validation import FieldError

TOKEN_MARK = "rd_"  # noqa: S105 (the visible mark of our tokens, not a secret)
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 365
# Writing last_used_at on every request would turn each read into a write;
# once a minute is precise enough to spot a forgotten or stolen token.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenRefused(Exception):
    """The presented token cannot be used. ``reason`` is for logs and tests;
    callers answer with one generic message whatever the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole bearer token; shown once, never stored


def issue_token(
    user: User,
    *,
    name: str,
    days: int = DEFAULT_TOKEN_DAYS,
    actor: User | None = None,
    via: str = "api",
) -> IssuedToken:
    """Create a token for ``user``. ``actor`` is who asked (``None`` for an
    operator at the command line)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise FieldError("name", "give the token a name of 1 to 100 characters")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise FieldError("expires_in_days", f"must be between 1 and {MAX_TOKEN_DAYS}")
    if not user.is_active:
        raise FieldError("user", "the account is disabled")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_MARK}{prefix}_{secrets.token_urlsafe(32)}"
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=f"{TOKEN_MARK}{prefix}",
        token_hash=token_digest(secret),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    record(
        "api_token.created",
        actor_type="user" if actor else "system",
        actor_id=actor.id if actor else None,
        object_type="api_token",
        object_id=token.id,
        data={"user_id": user.id, "expires_at": token.expires_at.isoformat(), "via": via},
    )
    return IssuedToken(token, secret)


def authenticate(raw: str, now: datetime | None = None) -> ApiToken:
    """The token for ``raw`` if it may be used now; its user is loaded."""
    now = now or utcnow()
    if not raw.startswith(TOKEN_MARK) or len(raw) > 200:
        raise TokenRefused("malformed")
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(raw)))
    if token is None:
        raise TokenRefused("unknown")
    if token.revoked_at is not None:
        raise TokenRefused("revoked")
    if token.expires_at <= now:
        raise TokenRefused("expired")
    if not token.user.is_active:
        raise TokenRefused("inactive_user")
    if not user_can_authenticate(token.user, now=now):
        # Locked out after failed sign-ins: every door shuts, tokens included.
        raise TokenRefused("locked_user")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token


def tokens_of(user: User) -> Select[tuple[ApiToken]]:
    """The user's own tokens that are not revoked (expired ones included, so
    they can be seen and cleared), newest first. A revoked token is gone as
    far as the API is concerned; its history is in the audit trail."""
    return (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )


def may_manage_any_token(user: User) -> bool:
    return user.role is Role.ADMIN


def get_token_for(actor: User, token_id: uuid.UUID) -> ApiToken:
    """One unrevoked token the actor may see: their own, or any for an admin.
    Another person's token is reported as not found, so its existence is not
    disclosed; a revoked one is not found either (revoking is deleting, seen
    from the API)."""
    token = db.session.get(ApiToken, token_id)
    if (
        token is None
        or token.revoked_at is not None
        or (token.user_id != actor.id and not may_manage_any_token(actor))
    ):
        raise NotInScope(f"api token {token_id} not found")
    return token


def revoke_token(actor: User | None, token_id: uuid.UUID, via: str = "api") -> ApiToken:
    """Revoke a token. For a user, a token already revoked is not found; for
    ``actor`` ``None`` (an operator at the command line, who may revoke any
    token) revoking it again changes nothing."""
    token = db.session.get(ApiToken, token_id) if actor is None else get_token_for(actor, token_id)
    if token is None:
        raise NotInScope(f"api token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(
            "api_token.revoked",
            actor_type="user" if actor else "system",
            actor_id=actor.id if actor else None,
            object_type="api_token",
            object_id=token.id,
            data={"user_id": token.user_id, "via": via},
        )
    return token


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))
