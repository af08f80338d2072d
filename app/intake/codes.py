"""Email confirmation codes: six digits sent to the requester, proving the
address is theirs before a request goes any further.

Pure functions over a small, storable state. Only an HMAC of the code is
kept, so a copy of the database (a backup, a leaked dump) does not give the
code away, and six digits cannot be brute-forced offline without the
application's secret. The caller stores ``CodeState`` (e.g. on the case) and
writes back the state each call returns.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from app.crypto import secret_derived_key

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=30)
MAX_ATTEMPTS = 5
RESEND_COOLDOWN = timedelta(seconds=60)
HKDF_INFO = b"rightsdesk intake code v1"

# People copy codes with spaces or dashes ("123 456", "123-456").
_SEPARATORS = re.compile(r"[\s-]")
_DIGITS = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")


class CodeCheck(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    TOO_MANY_ATTEMPTS = "too_many_attempts"


@dataclass(frozen=True)
class CodeState:
    """What is stored between the code being sent and being typed in.

    ``digest`` is the hex HMAC-SHA256 of the code (64 characters, fits a
    plain string column); ``attempts`` counts wrong codes typed so far.
    """

    digest: str
    issued_at: datetime
    attempts: int = 0

    @property
    def expires_at(self) -> datetime:
        return self.issued_at + CODE_LIFETIME


class CodeCheckResult(NamedTuple):
    """The outcome, and the state to store afterwards (attempts counted)."""

    outcome: CodeCheck
    state: CodeState


@lru_cache(maxsize=8)
def derive_code_key(secret_key: str | bytes) -> bytes:
    """A key used only for confirmation codes, derived from the app's
    ``SECRET_KEY`` so that no other use of that secret can produce or check
    a code digest. Cached: it is derived once per secret, not per code."""
    return secret_derived_key(secret_key, HKDF_INFO)


def _current_key() -> bytes:
    from flask import current_app

    return derive_code_key(current_app.config["SECRET_KEY"])


def _digest(key: bytes, code: str) -> str:
    return hmac.new(key, code.encode("ascii"), hashlib.sha256).hexdigest()


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("naive datetime given; use an aware UTC datetime")
    return now


def issue_code(now: datetime, *, key: bytes | None = None) -> tuple[str, CodeState]:
    """A new code (to send, never to store) and its state (to store).

    ``key`` defaults to the one derived from the running app's SECRET_KEY.
    """
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    state = CodeState(digest=_digest(key or _current_key(), code), issued_at=_aware(now), attempts=0)
    return code, state


def normalise_typed_code(typed: str) -> str:
    return _SEPARATORS.sub("", typed or "")


def check_code(state: CodeState, typed: str, now: datetime, *, key: bytes | None = None) -> CodeCheckResult:
    """Check a typed code. Store the returned state whatever the outcome.

    Order matters: once the attempts are used up, nothing typed is compared
    (so guessing cannot continue), and an expired code is reported as
    expired even if it is right (the person needs a new one either way).
    The fifth wrong code answers ``TOO_MANY_ATTEMPTS`` at once, so the
    person is told to ask for a new code rather than typing a sixth.
    """
    _aware(now)
    if state.attempts >= MAX_ATTEMPTS:
        return CodeCheckResult(CodeCheck.TOO_MANY_ATTEMPTS, state)
    if now >= state.expires_at:
        return CodeCheckResult(CodeCheck.EXPIRED, state)
    candidate = normalise_typed_code(typed)
    # Anything that is not six digits is still compared (against a digest of
    # itself), so every path takes the same time and counts as an attempt.
    if not _DIGITS.fullmatch(candidate):
        candidate = candidate[:64]
    typed_digest = _digest(key or _current_key(), candidate) if candidate.isascii() else ""
    if hmac.compare_digest(typed_digest, state.digest):
        return CodeCheckResult(CodeCheck.OK, state)
    after = replace(state, attempts=state.attempts + 1)
    if after.attempts >= MAX_ATTEMPTS:
        return CodeCheckResult(CodeCheck.TOO_MANY_ATTEMPTS, after)
    return CodeCheckResult(CodeCheck.WRONG, after)


def can_resend(state: CodeState | None, now: datetime) -> bool:
    """A new code may be sent once the cooldown since the last one is over
    (so the form cannot be used to flood someone's inbox)."""
    return state is None or _aware(now) >= state.issued_at + RESEND_COOLDOWN


def seconds_until_resend(state: CodeState | None, now: datetime) -> int:
    if state is None:
        return 0
    remaining = (state.issued_at + RESEND_COOLDOWN - _aware(now)).total_seconds()
    return max(0, int(-(-remaining // 1)))
