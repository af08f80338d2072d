"""The second factor: TOTP (RFC 6238) codes from an authenticator app, and
single-use recovery codes for when the app is lost.

A TOTP code is accepted for the current 30-second step or one step either
side (clock drift), and only for a step later than the last one accepted:
the user row remembers that step, and the update that records a new one is
conditional, so two requests racing with the same code cannot both win.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

import pyotp
import segno
from pyotp.exceptions import OTPVerificationError
from sqlalchemy import delete, func, or_, select, update

from app.accounts.models import RecoveryCode, User
from app.accounts.policy import current_policy
from app.audit.services import record
from app.db import utcnow
from app.extensions import db

ISSUER = "Rights Desk"
# Drift allowed either side of the current step.
VALID_WINDOW = 1
# Recovery codes: 15 characters from a 32-letter alphabet without look-alikes
# (no 0/o, 1/l): 75 random bits, shown as three groups of five.
_RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 15
_TOTP_SHAPE = re.compile(r"^\d{6}$")


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, from the secrets module


def provisioning_uri(user: User) -> str:
    if not user.totp_secret:
        raise ValueError("the user has no TOTP secret")
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code: attributes only, no
    style or script, so it renders under the strict CSP."""
    return segno.make(uri, error="m").svg_inline(
        scale=5,
        border=4,
        dark="#0b0c0c",
        light="#ffffff",
        title="QR code to scan with an authenticator app",
        svgclass="qr-code",
        lineclass=None,
    )


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, easier to type by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def current_code(secret: str, *, now: datetime | None = None) -> str:
    """The code an authenticator would show now (development and tests)."""
    return pyotp.TOTP(secret).at(now or utcnow())


def looks_like_totp(code: str) -> bool:
    return bool(_TOTP_SHAPE.match(_compact(code)))


def _compact(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def start_enrolment(user: User) -> str:
    """The secret to show on the enrolment page: a new one, or the one made
    when the page was first shown (so a reload does not break a scan already
    done). Not in force until ``confirm_enrolment``. The caller commits."""
    if user.has_second_factor:
        raise ValueError("the user already has a confirmed second factor")
    if not user.totp_secret:
        user.totp_secret = new_secret()
        user.totp_last_step = None
    return user.totp_secret


def verify_totp(user: User, code: str, *, now: datetime | None = None) -> bool:
    """Accept a TOTP code once: True records its step so it cannot be replayed."""
    code = _compact(code)
    if not user.totp_secret or not _TOTP_SHAPE.match(code):
        return False
    try:
        step = pyotp.TOTP(user.totp_secret).verify_and_get_timecode(
            code, for_time=now or utcnow(), valid_window=VALID_WINDOW
        )
    except OTPVerificationError:
        return False
    # Conditional update: wins only if no equal or later step was accepted,
    # including by a concurrent request that checked the same code.
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def confirm_enrolment(user: User, code: str, *, now: datetime | None = None) -> list[str] | None:
    """Put the pending secret in force if ``code`` matches it; returns the new
    recovery codes (shown once), or None for a wrong code. The caller commits."""
    if user.has_second_factor or not verify_totp(user, code, now=now):
        return None
    user.totp_confirmed_at = now or utcnow()
    codes = replace_recovery_codes(user)
    record(
        "auth.two_factor_enrolled",
        actor_type="user",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
        data={"method": "totp", "recovery_codes": len(codes)},
    )
    return codes


def activate_known_secret(user: User, secret: str) -> None:
    """Put a secret in force without a confirming code: only for the
    development demo administrator, whose secret is printed for the developer."""
    user.totp_secret = secret
    user.totp_confirmed_at = utcnow()
    user.totp_last_step = None


def clear_second_factor(user: User) -> None:
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def _recovery_digest(code: str) -> str:
    return hashlib.sha256(_compact(code).encode("ascii", "replace")).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + 5] for i in range(0, _RECOVERY_LENGTH, 5))


def replace_recovery_codes(user: User) -> list[str]:
    """Discard the user's recovery codes and make a new set; the plain codes
    are returned once and only their hashes kept. The caller commits."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(current_policy().recovery_code_count)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_digest(code)) for code in codes)
    db.session.flush()
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    codes = replace_recovery_codes(user)
    record(
        "auth.recovery_codes_regenerated",
        actor_type="user",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
        data={"count": len(codes)},
    )
    return codes


def use_recovery_code(user: User, code: str, *, now: datetime | None = None) -> bool:
    """Spend one recovery code; True if it was the user's and unused."""
    compact = _compact(code)
    if len(compact) != _RECOVERY_LENGTH or not user.has_second_factor:
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_digest(compact),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )
