"""Inviting a new member of staff: an emailed, single-use link to choose a
first password.

The invited user exists from the moment of the invitation, but disabled and
with a password hash no password matches, so sign-in, reset links and API
tokens all refuse them (``user_can_authenticate``) until the link is spent.
The link works like a reset link: a random 256-bit token of which only the
SHA-256 is stored, an expiry, and a conditional update that spends it once
even if two requests race. Only the newest link of a user works. After
accepting, the person signs in and, having no second factor yet, enrols an
authenticator app there (``signin.sign_in_with_password`` asks for it).

A disabled account (a former member of staff coming back) can be invited
again: it starts afresh, as a new invitee would, with no usable password,
no authenticator, no recovery codes, no reset links and every API token
revoked, so nothing from before works once the account is switched back on.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from app.accounts.models import RecoveryCode, Role, StaffInvite, User
from app.accounts.resets import end_reset_links
from app.accounts.services import (
    AccountError,
    check_new_password,
    check_new_user,
    set_password,
)
from app.audit.services import record
from app.crypto import token_digest
from app.db import utcnow
from app.extensions import db
from app.mail import send_mail

INVITE_HOURS = 72
INVITE_LIFETIME = timedelta(hours=INVITE_HOURS)
MAIL_CATEGORY = "accounts.staff_invite"
# Not an argon2 hash, so ``verify_password`` refuses every password against it.
NO_USABLE_HASH = "!invited"

ACCEPTED = "accepted"
REPLACED = "replaced"
WITHDRAWN = "withdrawn"


class InvalidInvite(LookupError):
    """The link is unknown, used, replaced, withdrawn or expired (which one is not said)."""


class NotInvited(LookupError):
    """The user has no invitation waiting to be accepted."""


@dataclass(frozen=True)
class Invited:
    """What ``invite_user`` did: the account, whether its disabled owner was
    invited back (every old credential cleared), and when the new link expires."""

    user: User
    rejoining: bool
    expires_at: datetime


def invite_user(
    email: str,
    name: str,
    role: Role | str,
    actor: User | None,
    link_for: Callable[[str], str],
    *,
    organisation_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Invited:
    """Create ``email``'s account, disabled until they accept, and email
    them a link to choose a password. ``actor`` is the administrator (None
    for the command line); ``link_for(token)`` builds the absolute URL.

    Inviting an address whose invitation is still waiting (or was withdrawn
    or has expired) sends a new link, replaces the old one and takes the new
    name and role. A disabled account's address invites its owner back,
    with every credential of before cleared (``_start_afresh``). An active
    account's address is refused, with ``AccountError("email", ...)``. The
    caller commits; what was done is returned, so it needs no second look."""
    _check_actor(actor)
    now = now or utcnow()
    email, name, role = check_new_user(email=email, name=name, role=role, organisation_id=organisation_id)
    user = db.session.scalar(select(User).where(User.email == email))
    created = user is None
    rejoining = False
    if user is None:
        user = User(
            email=email,
            name=name,
            password_hash=NO_USABLE_HASH,
            role=role,
            organisation_id=organisation_id,
            is_active=False,
            failed_attempts=0,
        )
        db.session.add(user)
        db.session.flush()
    elif user.is_active:
        raise AccountError("email", "A member of staff already uses this email address")
    else:
        rejoining = _rejoins(user)
        if rejoining:
            _start_afresh(user, actor, now)
        user.name, user.role, user.organisation_id = name, role, organisation_id
    expires_at = _issue(user, actor, link_for, now, created=created, rejoining=rejoining)
    return Invited(user, rejoining, expires_at)


def resend_invite(
    user: User, actor: User | None, link_for: Callable[[str], str], *, now: datetime | None = None
) -> None:
    """Send a new link to someone who has not accepted yet; the old one stops working."""
    _check_actor(actor)
    if not awaiting_acceptance(user):
        raise NotInvited(f"user {user.id} has already accepted an invitation")
    _issue(user, actor, link_for, now or utcnow(), created=False)


def withdraw_invite(user: User, actor: User | None, *, now: datetime | None = None) -> None:
    """Stop a waiting invitation's link working. The account stays, disabled
    and without a password; inviting the address again sends a new link."""
    _check_actor(actor)
    if not awaiting_acceptance(user):
        raise NotInvited(f"user {user.id} has already accepted an invitation")
    ended = _spend_open_links(user, now or utcnow(), WITHDRAWN)
    record(
        "accounts.invite_withdrawn",
        actor_type="user" if actor else "system",
        actor_id=actor.id if actor else None,
        object_type="user",
        object_id=user.id,
        data={"links_ended": ended},
    )


def find_live_invite(token: str, *, now: datetime | None = None) -> StaffInvite | None:
    """The unexpired, unused invitation a token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    invite = db.session.scalar(select(StaffInvite).where(StaffInvite.token_hash == token_digest(token)))
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        return None
    return invite


def accept_invite(token: str, password: str, *, now: datetime | None = None) -> User:
    """Set the invited user's first password through a live link, spend the
    link and switch the account on. Raises ``InvalidInvite`` or
    ``AccountError("password", ...)`` (the link stays usable then). The
    caller commits; the person then signs in and enrols their second factor."""
    now = now or utcnow()
    invite = find_live_invite(token, now=now)
    if invite is None:
        raise InvalidInvite("the link is unknown, used or expired")
    user = db.session.get(User, invite.user_id)
    assert user is not None  # the foreign key cascades
    check_new_password(password, email=user.email)
    spent = db.session.execute(
        update(StaffInvite)
        .where(StaffInvite.id == invite.id, StaffInvite.used_at.is_(None))
        .values(used_at=now, end_reason=ACCEPTED)
        .execution_options(synchronize_session="fetch")
    )
    if spent.rowcount != 1:  # a concurrent request spent it first
        raise InvalidInvite("the link has been used")
    set_password(user, password)
    user.is_active = True
    user.failed_attempts = 0
    user.locked_until = None
    record(
        "accounts.invite_accepted",
        actor_type="user",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
        data={"invite": invite.id},
    )
    return user


def _rejoins(user: User) -> bool:
    return not user.is_active and not awaiting_acceptance(user)


def awaiting_acceptance(user: User) -> bool:
    """Whether ``user`` is switched off with an invitation (its newest) not
    accepted: the link may still work, or have been replaced, withdrawn,
    ended by disabling or expired."""
    return user.id in waiting_invites([user.id])


@dataclass(frozen=True)
class Waiting:
    """An invitation not accepted yet: its newest link, and whether it still works."""

    expires_at: datetime
    live: bool
    end_reason: str | None  # replaced, withdrawn or disabled, when not live


def waiting_invites(user_ids: Collection[uuid.UUID] | None = None) -> dict[uuid.UUID, Waiting]:
    """Switched-off users (of ``user_ids``, or all) whose newest invitation
    is not accepted, with that link. A former member of staff invited back
    counts from the new invitation on. One query for a whole list page."""
    query = (
        select(StaffInvite.user_id, StaffInvite.expires_at, StaffInvite.used_at, StaffInvite.end_reason)
        .join(User, User.id == StaffInvite.user_id)
        .where(User.is_active.is_(False))
        .order_by(StaffInvite.created_at, StaffInvite.id)
    )
    if user_ids is not None:
        query = query.where(StaffInvite.user_id.in_(list(user_ids)))
    newest = {row.user_id: row for row in db.session.execute(query)}
    return {
        user_id: Waiting(row.expires_at, row.used_at is None, row.end_reason)
        for user_id, row in newest.items()
        if row.end_reason != ACCEPTED
    }


def account_state(user: User, waiting: dict[uuid.UUID, Waiting], *, now: datetime | None = None) -> str:
    """invited, active, disabled or locked, for lists of staff."""
    if user.id in waiting:
        return "invited"
    if not user.is_active:
        return "disabled"
    now = now or utcnow()
    return "locked" if user.locked_until is not None and user.locked_until > now else "active"


def _check_actor(actor: User | None) -> None:
    # The console and API check the role too; this keeps the rule with the service.
    if actor is not None and actor.role is not Role.ADMIN:
        raise PermissionError("only administrators invite staff")


def _start_afresh(user: User, actor: User | None, now: datetime) -> None:
    """Clear every credential a disabled account had, so that inviting its
    owner back gives a new member of staff's start and nothing else."""
    from app.api.models import ApiToken  # the API builds on accounts, not the other way

    user.password_hash = NO_USABLE_HASH
    user.password_changed_at = None
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.failed_attempts = 0
    user.locked_until = None
    codes = db.session.execute(
        delete(RecoveryCode)
        .where(RecoveryCode.user_id == user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    end_reset_links(user, now)
    tokens = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    record(
        "accounts.credentials_cleared",
        actor_type="user" if actor else "system",
        actor_id=actor.id if actor else None,
        object_type="user",
        object_id=user.id,
        data={"recovery_codes": codes, "api_tokens_revoked": tokens},
    )


def _issue(
    user: User,
    actor: User | None,
    link_for: Callable[[str], str],
    now: datetime,
    *,
    created: bool,
    rejoining: bool = False,
) -> datetime:
    """Send a new link (the old ones stop working); when it expires."""
    replaced = _spend_open_links(user, now, REPLACED)
    token = secrets.token_urlsafe(32)
    invite = StaffInvite(
        user_id=user.id,
        invited_by_id=actor.id if actor else None,
        token_hash=token_digest(token),
        created_at=now,
        expires_at=now + INVITE_LIFETIME,
    )
    db.session.add(invite)
    db.session.flush()
    send_mail(
        user.email,
        "You are invited to Rights Desk",
        _mail_body(user, link_for(token)),
        category=MAIL_CATEGORY,
        user_id=user.id,
    )
    record(
        "accounts.user_invited",
        actor_type="user" if actor else "system",
        actor_id=actor.id if actor else None,
        object_type="user",
        object_id=user.id,
        data={
            "invite": invite.id,
            "role": user.role.value,
            "created": created,
            "rejoining": rejoining,
            "links_replaced": replaced,
        },
    )
    return invite.expires_at


def _spend_open_links(user: User, now: datetime, reason: str) -> int:
    result = db.session.execute(
        update(StaffInvite)
        .where(StaffInvite.user_id == user.id, StaffInvite.used_at.is_(None))
        .values(used_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _mail_body(user: User, url: str) -> str:
    return (
        f"Hello {user.name},\n\n"
        "An administrator has given you an account on Rights Desk, where data protection "
        "requests for schools are answered. Open this link to choose your password:\n\n"
        f"{url}\n\n"
        f"The link works once, within {INVITE_HOURS} hours. When you first sign in you will set up "
        "an authenticator app on your phone, which Rights Desk asks for every time you sign in.\n\n"
        "If you were not expecting this, you can ignore this email: nobody can use the account "
        "until the link is opened.\n"
    )


__all__ = [
    "INVITE_HOURS",
    "INVITE_LIFETIME",
    "AccountError",
    "InvalidInvite",
    "Invited",
    "NotInvited",
    "accept_invite",
    "account_state",
    "awaiting_acceptance",
    "find_live_invite",
    "invite_user",
    "resend_invite",
    "waiting_invites",
    "withdraw_invite",
]
