"""The numbers behind sign-in security, in one place.

Tests (and, if ever needed, deployments) replace them through
``app.config["ACCOUNT_POLICY"]``; everything else reads ``current_policy()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_app_context


@dataclass(frozen=True)
class AccountPolicy:
    # Consecutive wrong passwords or codes before the account locks.
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    # Signed in, but no request for this long: signed out.
    idle_timeout: timedelta = timedelta(minutes=30)
    # Signed in this long ago: signed out whatever the activity.
    absolute_timeout: timedelta = timedelta(hours=12)
    # Password accepted but no second factor yet: the half-way state is short.
    pending_timeout: timedelta = timedelta(minutes=10)
    reset_link_lifetime: timedelta = timedelta(hours=1)
    recovery_code_count: int = 10
    min_password_length: int = 12
    # Argon2 work grows with input; refuse absurd lengths before hashing.
    max_password_length: int = 256
    # How often an active session's last-seen time is written (limits writes).
    touch_interval: timedelta = timedelta(minutes=1)


DEFAULT_POLICY = AccountPolicy()


def current_policy() -> AccountPolicy:
    if has_app_context():
        return current_app.config.get("ACCOUNT_POLICY") or DEFAULT_POLICY
    return DEFAULT_POLICY
