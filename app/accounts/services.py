"""Staff accounts: password hashing, creating and administering users, and
the development-only demo administrator.

Sign-in itself is in ``signin``; TOTP and recovery codes in ``totp``;
password-reset links in ``resets``; invitations of new staff in ``invites``;
server-side sessions in ``sessions``.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select, update

from app.accounts import sessions, totp
from app.accounts.models import Role, StaffInvite, User
from app.accounts.policy import current_policy
from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.mail.addresses import address_problem
from app.orgs.models import Organisation

_hasher = PasswordHasher()

DEMO_ADMIN_EMAIL = "demo.admin@rightsdesk.example"


class AccountError(ValueError):
    """A request about an account that cannot be met; ``field`` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    """Check ``password``; when argon2's parameters have changed since the hash
    was made, store a new hash with today's parameters (the caller commits)."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def spend_equal_time(password: str) -> None:
    """Hash-verify against a throwaway hash, so that an unknown email address
    takes as long to refuse as a wrong password (no timing oracle)."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password)


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(_hasher.hash(secrets.token_urlsafe(16)))
    return _DUMMY[0]


def check_new_password(password: str, *, email: str | None = None) -> None:
    """Raise ``AccountError("password", ...)`` for a password we will not store."""
    policy = current_policy()
    if len(password) < policy.min_password_length:
        raise AccountError("password", f"Password must be at least {policy.min_password_length} characters")
    if len(password) > policy.max_password_length:
        raise AccountError("password", f"Password must be {policy.max_password_length} characters or fewer")
    if not password.strip():
        raise AccountError("password", "Password must not be only spaces")
    if email and password.strip().lower() == email.strip().lower():
        raise AccountError("password", "Password must not be your email address")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(user_id: uuid.UUID) -> User | None:
    return db.session.get(User, user_id)


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: Role | str,
    organisation_id: uuid.UUID | None = None,
    totp_secret: str | None = None,
) -> User:
    """Add a staff user (the caller commits). School users belong to exactly
    one organisation (a school, or a trust and so its schools); company staff
    to none. Every problem raises ``AccountError`` naming the field."""
    email, name, role = check_new_user(email=email, name=name, role=role, organisation_id=organisation_id)
    check_new_password(password, email=email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError("email", f"A user with {email} already exists")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        organisation_id=organisation_id,
        totp_secret=totp_secret,
        failed_attempts=0,
        password_changed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    record("user.created", object_type="user", object_id=user.id, data={"role": role.value})
    return user


def check_new_user(
    *, email: str, name: str, role: Role | str, organisation_id: uuid.UUID | None
) -> tuple[str, str, Role]:
    """The normalised email, name and role of a user about to be created (or
    invited), or ``AccountError`` naming the field at fault."""
    email = normalise_email(email)
    # Control characters (a NUL from a hand-made form post) are refused here:
    # PostgreSQL would refuse them deep inside the write.
    if "@" not in email or len(email) > 320 or any(ch.isspace() or not ch.isprintable() for ch in email):
        raise AccountError("email", "Enter an email address in the correct format, like name@example.org")
    if problem := address_problem(email):
        raise AccountError("email", problem)
    name = name.strip()
    if not name or len(name) > 200:
        raise AccountError("name", "Enter a name of 200 characters or fewer")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise AccountError("name", "Enter the name on one line, without special characters")
    try:
        role = Role(role)
    except ValueError:
        raise AccountError("role", f"Role must be one of {', '.join(r.value for r in Role)}") from None
    if role is Role.SCHOOL:
        if organisation_id is None:
            raise AccountError("organisation", "A school user needs an organisation")
        if db.session.get(Organisation, organisation_id) is None:
            raise AccountError("organisation", f"No organisation has the id {organisation_id}")
    elif organisation_id is not None:
        raise AccountError("organisation", "Only school users belong to an organisation")
    return email, name, role


def change_password(user: User, current_password: str, new_password: str, *, keep_session: uuid.UUID) -> None:
    """Change a signed-in user's password. Every other session of theirs ends
    (someone who knew the old password is thrown out); the one making the
    change, ``keep_session``, stays. The caller commits."""
    if not verify_password(user, current_password):
        raise AccountError("current_password", "Your current password is not right")
    check_new_password(new_password, email=user.email)
    if verify_password(user, new_password):
        raise AccountError("new_password", "Choose a password different from your current one")
    set_password(user, new_password)
    ended = sessions.end_all_sessions(user.id, "password_changed", except_id=keep_session)
    record(
        "auth.password_changed",
        actor_type="user",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
        data={"sessions_ended": ended},
    )


def new_recovery_codes(user: User, password: str) -> list[str]:
    """Replace a signed-in user's recovery codes after they re-enter their
    password (a borrowed unlocked screen should not be enough). The caller
    commits and shows the codes once."""
    if not user.has_second_factor:
        raise AccountError("password", "Set up your authenticator app first")
    if not verify_password(user, password):
        raise AccountError("password", "Your password is not right")
    return totp.regenerate_recovery_codes(user)


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()


def user_can_authenticate(user: User | None, *, now: datetime | None = None) -> bool:
    """Whether ``user`` may be let in by any credential at all: it exists, is
    active and is not locked out. Other ways in (API bearer tokens) should ask
    this too, so that disabling or locking an account shuts every door."""
    if user is None or not user.is_active:
        return False
    now = now or utcnow()
    return user.locked_until is None or user.locked_until <= now


def list_users() -> Sequence[User]:
    return db.session.scalars(select(User).order_by(User.role, User.email)).all()


def disable_user(user: User, *, actor_id: uuid.UUID | None = None) -> None:
    """Stop a user signing in and end their sessions (the caller commits).
    An invitation they have not accepted yet stops working too: accepting it
    would otherwise switch the account back on."""
    user.is_active = False
    ended = sessions.end_all_sessions(user.id, "disabled")
    db.session.execute(
        update(StaffInvite)
        .where(StaffInvite.user_id == user.id, StaffInvite.used_at.is_(None))
        .values(used_at=utcnow(), end_reason="disabled")
        .execution_options(synchronize_session=False)
    )
    record(
        "user.disabled",
        actor_type="user" if actor_id else "system",
        actor_id=actor_id,
        object_type="user",
        object_id=user.id,
        data={"sessions_ended": ended},
    )


def unlock_user(user: User, *, actor_id: uuid.UUID | None = None) -> None:
    user.failed_attempts = 0
    user.locked_until = None
    record(
        "user.unlocked",
        actor_type="user" if actor_id else "system",
        actor_id=actor_id,
        object_type="user",
        object_id=user.id,
    )


def reset_two_factor(user: User, *, actor_id: uuid.UUID | None = None) -> None:
    """Remove the user's authenticator and recovery codes; they enrol again at
    their next sign-in. Their sessions end (the caller commits)."""
    totp.clear_second_factor(user)
    ended = sessions.end_all_sessions(user.id, "two_factor_reset")
    record(
        "user.two_factor_reset",
        actor_type="user" if actor_id else "system",
        actor_id=actor_id,
        object_type="user",
        object_id=user.id,
        data={"sessions_ended": ended},
    )


@dataclass(frozen=True)
class DemoAdminLogin:
    email: str
    password: str
    totp_secret: str
    totp_uri: str


class NotInDevelopment(RuntimeError):
    """The demo administrator exists only with RIGHTSDESK_ENV=development."""


def ensure_demo_admin(
    email: str = DEMO_ADMIN_EMAIL, *, password: str | None = None, name: str = "Demo Administrator"
) -> DemoAdminLogin:
    """Create or refresh the development demo administrator and return a
    usable login, TOTP secret included, for ``make run`` to print.

    Refused (``NotInDevelopment``) unless ``RIGHTSDESK_ENV=development``: a
    login whose second factor is printed on a terminal must never exist in
    production. The account gets ``password`` (or a new random one), is
    unlocked and re-activated; an already-confirmed TOTP secret is kept, so an
    authenticator app set up earlier keeps working. The caller commits.
    """
    if current_app.config.get("RIGHTSDESK_ENV") != "development":
        raise NotInDevelopment("the demo administrator is only available with RIGHTSDESK_ENV=development")
    password = password or secrets.token_urlsafe(12)
    user = find_user_by_email(email)
    if user is None:
        user = create_user(email=email, name=name, password=password, role=Role.ADMIN)
    else:
        check_new_password(password, email=email)
        set_password(user, password)
        user.role, user.organisation_id, user.is_active = Role.ADMIN, None, True
        user.failed_attempts, user.locked_until = 0, None
    if not user.has_second_factor:
        totp.activate_known_secret(user, totp.new_secret())
    db.session.flush()
    record("user.demo_admin_refreshed", object_type="user", object_id=user.id)
    assert user.totp_secret is not None
    return DemoAdminLogin(
        email=user.email,
        password=password,
        totp_secret=user.totp_secret,
        totp_uri=totp.provisioning_uri(user),
    )
