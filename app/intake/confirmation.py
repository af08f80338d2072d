"""Confirming the requester's email address: a 6-digit code and a link.

``send_confirmation_code`` issues a code and emails it, independent of where
its state is kept. The functions below keep that state on the ``Case``
(an HMAC of the code, when it was issued, the wrong codes typed, and the
SHA-256 of the link's random token), decide each attempt, and confirm the
case through ``app.cases.services.confirm``. The code and the token
themselves are only ever in the email.

Each function changes the case in the caller's transaction (the caller
commits) and writes an audit event with ids and outcome codes only.
"""

from __future__ import annotations

import enum
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from app.audit.services import record
from app.cases import lifecycle
from app.cases import services as cases
from app.cases.models import Case, CaseStatus
from app.crypto import token_digest
from app.db import utcnow
from app.extensions import db
from app.intake.codes import (
    MAX_ATTEMPTS,
    CodeCheck,
    CodeState,
    can_resend,
    check_code,
    issue_code,
    normalise_typed_code,
    seconds_until_resend,
)
from app.letters.services import render_letter
from app.mail import send_mail

CATEGORY = "intake.confirmation_code"
TOKEN_BYTES = 32


class ResendTooSoon(Exception):
    """A code was sent moments ago; ``wait_seconds`` until another may go."""

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(f"a new code can be sent in {wait_seconds} seconds")
        self.wait_seconds = wait_seconds


class Outcome(enum.StrEnum):
    """Where a request stands after an attempt (or before one: ``AWAITING``)."""

    AWAITING = "awaiting"  # a live code: show the form
    CONFIRMED = "confirmed"  # just now
    MISSING = "missing"  # nothing typed; not counted as an attempt
    WRONG = "wrong"
    EXPIRED = "expired"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    ALREADY_CONFIRMED = "already_confirmed"
    WITHDRAWN = "withdrawn"
    UNKNOWN_LINK = "unknown_link"

    @property
    def needs_new_code(self) -> bool:
        return self in (Outcome.EXPIRED, Outcome.TOO_MANY_ATTEMPTS)


_FROM_CHECK = {
    CodeCheck.OK: Outcome.CONFIRMED,
    CodeCheck.WRONG: Outcome.WRONG,
    CodeCheck.EXPIRED: Outcome.EXPIRED,
    CodeCheck.TOO_MANY_ATTEMPTS: Outcome.TOO_MANY_ATTEMPTS,
}


def send_confirmation_code(
    *,
    to: str,
    requester_name: str,
    confirm_url: str,
    now: datetime,
    previous: CodeState | None = None,
) -> CodeState:
    """Issue a code, email it (through the outbox, in the caller's
    transaction) and return the state to store in place of ``previous``.

    Raises ``ResendTooSoon`` inside the cooldown, so the form cannot be used
    to flood someone's inbox. ``confirm_url`` must not contain the code.
    """
    code, state = _issue(previous, now)
    _email_code(to=to, requester_name=requester_name, code=code, confirm_url=confirm_url)
    return state


def _issue(previous: CodeState | None, now: datetime) -> tuple[str, CodeState]:
    if not can_resend(previous, now):
        raise ResendTooSoon(seconds_until_resend(previous, now))
    return issue_code(now)


def _email_code(
    *, to: str, requester_name: str, code: str, confirm_url: str, case_id: uuid.UUID | None = None
) -> None:
    letter = render_letter(
        "email_confirmation", {"requester_name": requester_name, "code": code, "confirm_url": confirm_url}
    )
    send_mail(to, letter.subject, letter.text, letter.html, category=CATEGORY, case_id=case_id)


# --- the state kept on the case ------------------------------------------------------


def code_state(case: Case) -> CodeState | None:
    if case.code_digest is None or case.code_issued_at is None:
        return None
    return CodeState(digest=case.code_digest, issued_at=case.code_issued_at, attempts=case.code_attempts)


def _store(case: Case, state: CodeState) -> None:
    case.code_digest = state.digest
    case.code_issued_at = state.issued_at
    case.code_attempts = state.attempts


def _audit(action: str, case: Case | None, data: dict[str, object]) -> None:
    record(
        action,
        actor_type="requester",
        object_type="case" if case else None,
        object_id=case.id if case else None,
        data=data,
    )


def send_case_code(case: Case, *, link_for: Callable[[str], str], now: datetime | None = None) -> None:
    """Email a new code and link for ``case`` (first time or again).

    A new code replaces the old one and its attempts, and a new link token
    replaces the old link. Raises ``ResendTooSoon`` within the cooldown.
    ``link_for(token)`` builds the link's absolute URL.
    """
    now = now or utcnow()
    previous = code_state(case)
    code, state = _issue(previous, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    # The case holds the new code before the mail is written, so whatever
    # flushes next (the commit, or a delivery job being queued) writes the
    # case once and complete, never an INSERT followed by an UPDATE.
    _store(case, state)
    case.confirm_token_hash = token_digest(token)
    _email_code(
        to=case.requester_email,
        requester_name=case.requester_name,
        code=code,
        confirm_url=link_for(token),
        case_id=case.id,
    )
    _audit("case.confirmation_code_sent", case, {"resend": previous is not None})
    lifecycle.add_event(case, "mail_sent", None, {"category": CATEGORY})


# --- deciding ------------------------------------------------------------------------


def _settled(case: Case) -> Outcome | None:
    """The outcome for a case no code can change any more."""
    if case.status is CaseStatus.WITHDRAWN:
        return Outcome.WITHDRAWN
    if case.status is not CaseStatus.SUBMITTED:
        return Outcome.ALREADY_CONFIRMED
    return None


def status_of(case: Case, now: datetime | None = None) -> Outcome:
    """What the code-entry page should offer: the form, a new code, or a message."""
    settled = _settled(case)
    if settled is not None:
        return settled
    state = code_state(case)
    if state is None or (now or utcnow()) >= state.expires_at:
        return Outcome.EXPIRED
    if state.attempts >= MAX_ATTEMPTS:
        return Outcome.TOO_MANY_ATTEMPTS
    return Outcome.AWAITING


def _confirm(case: Case) -> None:
    cases.confirm(case)
    # The code has done its job; the token's hash stays so the link, opened
    # again, says "already confirmed" rather than "not recognised".
    case.code_digest = None


def confirm_with_code(case: Case, typed: str, *, now: datetime | None = None) -> Outcome:
    """Check a typed code and, when it is right, confirm the case."""
    now = now or utcnow()
    outcome = _settled(case)
    state = code_state(case)
    if outcome is None and not normalise_typed_code(typed):
        return Outcome.MISSING  # a slip, not a guess: nothing to count or audit
    if outcome is None:
        if state is None:
            outcome = Outcome.EXPIRED
        else:
            result = check_code(state, typed, now)
            _store(case, result.state)
            outcome = _FROM_CHECK[result.outcome]
    if outcome is Outcome.CONFIRMED:
        _confirm(case)
    _audit("case.confirmation_checked", case, {"via": "code", "outcome": outcome.value})
    return outcome


def confirm_with_link(token: str, *, now: datetime | None = None) -> tuple[Case | None, Outcome]:
    """Confirm the case whose emailed link carries ``token``.

    The link works while its code is live (30 minutes) even after wrong
    codes were typed: its token cannot be guessed, and the attempts limit
    exists to stop guessing the six digits.
    """
    now = now or utcnow()
    case = db.session.scalars(
        select(Case).where(Case.confirm_token_hash == token_digest(token)).with_for_update()
    ).first()
    if case is None:
        _audit("case.confirmation_checked", None, {"via": "link", "outcome": Outcome.UNKNOWN_LINK.value})
        return None, Outcome.UNKNOWN_LINK
    outcome = _settled(case)
    if outcome is None:
        state = code_state(case)
        outcome = Outcome.EXPIRED if state is None or now >= state.expires_at else Outcome.CONFIRMED
    if outcome is Outcome.CONFIRMED:
        _confirm(case)
    _audit("case.confirmation_checked", case, {"via": "link", "outcome": outcome.value})
    return case, outcome
