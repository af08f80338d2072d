"""Signing in: password, then a second factor, with lockout.

Every refusal looks the same from outside: an unknown email address, a wrong
password, a disabled account and a locked one all get the same answer after
the same argon2 work, so the form cannot be used to find out which accounts
exist. A locked account is not even asked for its password (a right guess
during the lock would otherwise show). Failures count across both steps and
reset only after a complete sign-in: knowing the password does not buy fresh
guesses at the code.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update

from app.accounts import sessions, totp
from app.accounts.models import SessionStage, StaffSession, User
from app.accounts.policy import current_policy
from app.accounts.services import find_user_by_email, spend_equal_time, user_can_authenticate, verify_password
from app.audit.services import record
from app.db import utcnow
from app.extensions import db


class Outcome(enum.StrEnum):
    OK = "ok"
    REFUSED = "refused"  # wrong credential; try again
    LOCKED = "locked"  # stop: the account is (now) locked, the half-way session is over


@dataclass(frozen=True)
class StepResult:
    outcome: Outcome
    token: str | None = None  # the new session's cookie token, when one was opened
    user_id: uuid.UUID | None = None
    needs_enrolment: bool = False
    method: str | None = None
    recovery_codes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def sign_in_with_password(
    email: str, password: str, *, previous_token: str | None = None, now: datetime | None = None
) -> StepResult:
    """First step. Whatever session the browser had ends; with the right
    password a *pending* session opens for the second step. The caller
    commits (failures and their audit events must be stored too)."""
    now = now or utcnow()
    sessions.end_session_by_token(previous_token, "replaced")
    user = find_user_by_email(email) if email else None
    if user is None:
        spend_equal_time(password)
        record("auth.sign_in_failed", actor_type="anonymous", data={"reason": "unknown_account"})
        return StepResult(Outcome.REFUSED)
    if not user_can_authenticate(user, now=now):
        spend_equal_time(password)
        reason = "locked" if user.is_active else "disabled"
        record(
            "auth.sign_in_failed",
            actor_type="anonymous",
            object_type="user",
            object_id=user.id,
            data={"reason": reason, "step": "password"},
        )
        return StepResult(Outcome.REFUSED)
    if not verify_password(user, password):
        register_failure(user, "password", now=now)
        return StepResult(Outcome.REFUSED)
    _, token = sessions.open_session(user, SessionStage.PENDING, now=now)
    return StepResult(Outcome.OK, token=token, user_id=user.id, needs_enrolment=not user.has_second_factor)


def sign_in_with_code(pending: StaffSession, code: str, *, now: datetime | None = None) -> StepResult:
    """Second step: a TOTP code or an unused recovery code. Success ends the
    pending session and opens an active one (a new token). The caller commits."""
    now = now or utcnow()
    user = pending.user
    if not user_can_authenticate(user, now=now) or not user.has_second_factor:
        sessions.end_session(pending, "locked", now=now)
        return StepResult(Outcome.LOCKED)
    if totp.looks_like_totp(code):
        method = "totp" if totp.verify_totp(user, code, now=now) else None
    else:
        method = "recovery_code" if totp.use_recovery_code(user, code, now=now) else None
    if method is None:
        locked = register_failure(user, "code", now=now)
        return StepResult(Outcome.LOCKED if locked else Outcome.REFUSED)
    return _complete(pending, method, now)


def enrol_and_sign_in(pending: StaffSession, code: str, *, now: datetime | None = None) -> StepResult:
    """Second step for a user without a second factor: confirm the secret
    shown on the enrolment page with a code from the app, receive recovery
    codes, and be signed in. The caller commits."""
    now = now or utcnow()
    user = pending.user
    if not user_can_authenticate(user, now=now) or user.has_second_factor:
        sessions.end_session(pending, "locked", now=now)
        return StepResult(Outcome.LOCKED)
    codes = totp.confirm_enrolment(user, code, now=now)
    if codes is None:
        locked = register_failure(user, "enrolment_code", now=now)
        return StepResult(Outcome.LOCKED if locked else Outcome.REFUSED)
    result = _complete(pending, "enrolment", now)
    return StepResult(
        Outcome.OK, token=result.token, user_id=user.id, method="enrolment", recovery_codes=codes
    )


def _complete(pending: StaffSession, method: str, now: datetime) -> StepResult:
    user = pending.user
    active, token = sessions.promote(pending, now=now)
    user.failed_attempts = 0
    user.locked_until = None
    user.last_sign_in_at = now
    record(
        "auth.signed_in",
        actor_type="user",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
        data={"method": method, "session": active.id},
    )
    return StepResult(Outcome.OK, token=token, user_id=user.id, method=method)


def register_failure(user: User, step: str, *, now: datetime | None = None) -> bool:
    """Count one failed password or code; lock the account when the count
    reaches the policy's limit. Returns True if this failure locked it.

    The increment happens in the database (``failed_attempts + 1``), so
    parallel guesses are all counted."""
    now = now or utcnow()
    policy = current_policy()
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_attempts=User.failed_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user, ["failed_attempts"])
    record(
        "auth.sign_in_failed",
        actor_type="anonymous",
        object_type="user",
        object_id=user.id,
        data={
            "reason": "wrong_" + ("password" if step == "password" else "code"),
            "step": step,
            "count": user.failed_attempts,
        },
    )
    if user.failed_attempts < policy.max_failures:
        return False
    user.failed_attempts = 0
    user.locked_until = now + policy.lockout
    # Half-way sign-ins end; sessions already signed in elsewhere stay, or a
    # stranger typing wrong passwords could throw the real user out.
    ended = sessions.end_all_sessions(user.id, "locked", stage=SessionStage.PENDING)
    record(
        "auth.locked",
        object_type="user",
        object_id=user.id,
        data={"minutes": int(policy.lockout.total_seconds() // 60), "sessions_ended": ended},
    )
    return True


def sign_out(token: str | None) -> None:
    """End the browser's session, if live, and record it. The caller commits."""
    row = sessions.end_session_by_token(token, "signed_out")
    if row is not None:
        record(
            "auth.signed_out",
            actor_type="user",
            actor_id=row.user_id,
            object_type="user",
            object_id=row.user_id,
            data={"session": row.id, "stage": row.stage.value},
        )


def record_session_end(check: sessions.SessionCheck) -> None:
    """Audit a session the timeouts just ended (idle, absolute, ...)."""
    row = check.ended_session
    if row is not None:
        record(
            "auth.session_ended",
            object_type="user",
            object_id=row.user_id,
            data={"session": row.id, "reason": check.ended_reason},
        )
