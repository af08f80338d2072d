"""Password reset by an emailed, single-use link.

The link carries a random token (256 bits); only its SHA-256 is stored, it
expires after ``reset_link_lifetime`` and is spent by a conditional update,
so it works once even if two requests race. Asking for a link gives the same
answer whether or not the address has an account (and sends nothing when it
has not), so the form cannot be used to find out who works here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update

from app.accounts import sessions
from app.accounts.models import PasswordResetToken, User
from app.accounts.policy import current_policy
from app.accounts.services import AccountError, check_new_password, find_user_by_email, set_password
from app.audit.services import record
from app.crypto import token_digest
from app.db import utcnow
from app.extensions import db
from app.mail import send_mail

MAIL_CATEGORY = "accounts.password_reset"


class InvalidResetLink(LookupError):
    """The link is unknown, used or expired (which one is not said)."""


def request_password_reset(
    email: str, link_for: Callable[[str], str], *, now: datetime | None = None
) -> None:
    """Email a reset link to ``email`` if it belongs to an active user.

    ``link_for(token)`` builds the absolute URL (the view knows the host).
    Earlier unused links of the user stop working: only the newest is live.
    The caller commits (the mail is sent after the commit)."""
    now = now or utcnow()
    user = find_user_by_email(email) if email else None
    if user is None or not user.is_active:
        record(
            "auth.password_reset_requested",
            actor_type="anonymous",
            object_type="user" if user else None,
            object_id=user.id if user else None,
            data={"sent": False},
        )
        return
    end_reset_links(user, now)
    token = secrets.token_urlsafe(32)
    link = PasswordResetToken(
        user_id=user.id,
        token_hash=token_digest(token),
        created_at=now,
        expires_at=now + current_policy().reset_link_lifetime,
    )
    db.session.add(link)
    db.session.flush()
    minutes = int(current_policy().reset_link_lifetime.total_seconds() // 60)
    send_mail(
        user.email,
        "Reset your Rights Desk password",
        _mail_body(user, link_for(token), minutes),
        category=MAIL_CATEGORY,
        user_id=user.id,
    )
    record(
        "auth.password_reset_requested",
        actor_type="anonymous",
        object_type="user",
        object_id=user.id,
        data={"sent": True, "link": link.id},
    )


def _mail_body(user: User, url: str, minutes: int) -> str:
    return (
        f"Hello {user.name},\n\n"
        "Someone asked to reset the password of your Rights Desk account. "
        "If it was you, open this link and choose a new password:\n\n"
        f"{url}\n\n"
        f"The link works once, within {minutes} minutes. You will still need your "
        "authenticator app (or a recovery code) to sign in.\n\n"
        "If you did not ask for this, you can ignore this email: your password has not changed. "
        "Tell your Rights Desk administrator if you get these emails without asking.\n"
    )


def end_reset_links(user: User, now: datetime) -> None:
    """Mark every unused reset link of ``user`` used, so none works any more."""
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def find_live_link(token: str, *, now: datetime | None = None) -> PasswordResetToken | None:
    """The unexpired, unused link a token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    link = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_digest(token))
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    user = db.session.get(User, link.user_id)
    if user is None or not user.is_active:
        return None
    return link


def complete_password_reset(token: str, new_password: str, *, now: datetime | None = None) -> User:
    """Set a new password through a live link and spend the link.

    Every session of the user ends (whoever had the old password is out) and
    the lockout is lifted: the email proves the person controls the account's
    mailbox, and they still need their second factor to sign in. Raises
    ``InvalidResetLink`` or ``AccountError("password", ...)``. The caller commits.
    """
    now = now or utcnow()
    link = find_live_link(token, now=now)
    if link is None:
        raise InvalidResetLink("the link is unknown, used or expired")
    user = db.session.get(User, link.user_id)
    assert user is not None
    check_new_password(new_password, email=user.email)
    spent = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == link.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if spent.rowcount != 1:  # a concurrent request used it first
        raise InvalidResetLink("the link has been used")
    set_password(user, new_password)
    user.failed_attempts = 0
    user.locked_until = None
    ended = sessions.end_all_sessions(user.id, "password_reset")
    record(
        "auth.password_reset_completed",
        actor_type="user",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
        data={"link": link.id, "sessions_ended": ended},
    )
    return user


__all__ = [
    "AccountError",
    "InvalidResetLink",
    "complete_password_reset",
    "find_live_link",
    "request_password_reset",
]
