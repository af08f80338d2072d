"""Server-side staff sessions: why a signed cookie alone is not enough.

Flask's session is a cookie signed with ``SECRET_KEY``. It is tamper-proof
but stateless: the server keeps nothing, so a copy of the cookie stays valid
after sign-out, and "rotating" it changes nothing for an attacker holding an
older copy. So the cookie carries only a random token (``secrets``, 256 bits)
and the ``staff_sessions`` table holds that token's SHA-256 with the
session's state. A cookie authenticates only while its row exists, is not
ended, and is within its timeouts:

- sign-in ends whatever session the browser had (``replaced``) and opens a
  *pending* one when the password is right; the second factor ends the
  pending row (``promoted``) and opens a new *active* row with a new token.
  A cookie captured before sign-in (session fixation), or between the two
  steps, therefore never becomes an authenticated one;
- sign-out, a password change or reset, disabling the account, a lockout
  and a 2FA reset end the rows, and with them every copy of their cookies;
- idle (no request for ``idle_timeout``) and absolute (``absolute_timeout``
  since sign-in) limits are checked against the row's own times, which the
  browser cannot move; a pending row lives ``pending_timeout``.

Only the hash is stored, so a database copy yields no usable cookie. Several
browsers may be signed in at once, each with its own row. The functions here
never see the HTTP request; ``app.accounts.web`` moves tokens in and out of
the cookie.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from app.accounts.models import SessionStage, StaffSession, User
from app.accounts.policy import current_policy
from app.crypto import token_digest
from app.db import utcnow
from app.extensions import db


def open_session(user: User, stage: SessionStage, *, now: datetime | None = None) -> tuple[StaffSession, str]:
    """A new session row and the token for the cookie (shown only here)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        user_id=user.id,
        token_hash=token_digest(token),
        stage=stage,
        created_at=now,
        last_seen_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row, token


@dataclass(frozen=True)
class SessionCheck:
    """What a cookie's token is worth now. ``staff_session`` is set only for
    a live session; ``ended_reason`` says why one just ended (for the message
    on the sign-in page), e.g. ``idle``."""

    staff_session: StaffSession | None = None
    ended_reason: str | None = None
    ended_session: StaffSession | None = None
    touched: bool = False  # last_seen_at moved on: the caller should commit

    @property
    def user(self) -> User | None:
        return self.staff_session.user if self.staff_session else None


def check_session(token: str | None, *, now: datetime | None = None) -> SessionCheck:
    """Resolve a cookie token, ending the session if a timeout has passed or
    the user may no longer sign in. The caller commits."""
    if not token:
        return SessionCheck()
    row = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == token_digest(token)))
    if row is None or row.ended_at is not None:
        return SessionCheck()
    now = now or utcnow()
    policy = current_policy()
    user = row.user
    reason = None
    if not user.is_active:
        reason = "disabled"
    elif row.stage is SessionStage.PENDING:
        if now - row.created_at > policy.pending_timeout:
            reason = "expired"
    elif now - row.created_at > policy.absolute_timeout:
        reason = "absolute"
    elif now - row.last_seen_at > policy.idle_timeout:
        reason = "idle"
    if reason:
        end_session(row, reason, now=now)
        return SessionCheck(ended_reason=reason, ended_session=row)
    if row.stage is SessionStage.ACTIVE and now - row.last_seen_at >= policy.touch_interval:
        row.last_seen_at = now
        return SessionCheck(staff_session=row, touched=True)
    return SessionCheck(staff_session=row)


def end_session(row: StaffSession, reason: str, *, now: datetime | None = None) -> None:
    if row.ended_at is None:
        row.ended_at = now or utcnow()
        row.end_reason = reason


def end_session_by_token(token: str | None, reason: str) -> StaffSession | None:
    """End the session a cookie names, if it is live; returns it."""
    if not token:
        return None
    row = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == token_digest(token)))
    if row is None or row.ended_at is not None:
        return None
    end_session(row, reason)
    return row


def end_all_sessions(
    user_id: uuid.UUID,
    reason: str,
    *,
    except_id: uuid.UUID | None = None,
    stage: SessionStage | None = None,
) -> int:
    """End every live session of a user (but ``except_id``; only those at
    ``stage`` if given); returns how many."""
    statement = (
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    if except_id is not None:
        statement = statement.where(StaffSession.id != except_id)
    if stage is not None:
        statement = statement.where(StaffSession.stage == stage)
    return db.session.execute(statement).rowcount or 0


def promote(pending: StaffSession, *, now: datetime | None = None) -> tuple[StaffSession, str]:
    """Second factor passed: end the pending row, open an active one with a
    fresh token (the session id changes at the moment privilege does)."""
    now = now or utcnow()
    end_session(pending, "promoted", now=now)
    return open_session(pending.user, SessionStage.ACTIVE, now=now)
