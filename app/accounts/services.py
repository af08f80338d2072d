"""Password hashing and account creation."""

from __future__ import annotations

import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from app.accounts.models import Role, User
from app.extensions import db

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    organisation_id: uuid.UUID | None = None,
    totp_secret: str | None = None,
) -> User:
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ValueError(f"email: a user with {email} already exists")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        organisation_id=organisation_id,
        totp_secret=totp_secret,
    )
    db.session.add(user)
    return user
