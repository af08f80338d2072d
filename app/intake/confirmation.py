"""Sending the email confirmation code, independent of where its state is
kept: the caller (the case services) stores the returned ``CodeState`` and
hands it back on resend or check. The code itself is only ever in the email.
"""

from __future__ import annotations

from datetime import datetime

from app.intake.codes import CodeState, can_resend, issue_code, seconds_until_resend
from app.letters.services import render_letter
from app.mail import send_mail

CATEGORY = "intake.confirmation_code"


class ResendTooSoon(Exception):
    """A code was sent moments ago; ``wait_seconds`` until another may go."""

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(f"a new code can be sent in {wait_seconds} seconds")
        self.wait_seconds = wait_seconds


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
    if not can_resend(previous, now):
        raise ResendTooSoon(seconds_until_resend(previous, now))
    code, state = issue_code(now)
    letter = render_letter(
        "email_confirmation", {"requester_name": requester_name, "code": code, "confirm_url": confirm_url}
    )
    send_mail(to, letter.subject, letter.text, letter.html, category=CATEGORY)
    return state
