"""Sending the confirmation code: by email, via the outbox, with a cooldown."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.intake.codes import CodeCheck, check_code
from app.intake.confirmation import CATEGORY, ResendTooSoon, send_confirmation_code
from app.mail import OutboxMessage

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def outbox_app(app):
    app.config["SMTP_URL"] = None
    app.config["REDIS_URL"] = None
    return app


def _send(previous=None, now=NOW):
    return send_confirmation_code(
        to="sam@example.com",
        requester_name="Sam Example",
        confirm_url="https://desk.example/request/confirm/tok",
        now=now,
        previous=previous,
    )


def test_send_confirmation_code_emails_a_code_that_checks_ok(outbox_app, db_session):
    state = _send()
    db_session.commit()
    [message] = db_session.query(OutboxMessage).all()
    assert message.category == CATEGORY and message.recipient_list == ["sam@example.com"]
    code = re.search(r"\b(\d{6})\b", message.subject).group(1)
    assert code in message.text_body and code in message.html_body
    assert code not in state.digest
    assert check_code(state, code, NOW + timedelta(minutes=5)).outcome is CodeCheck.OK


def test_send_confirmation_code_refuses_a_resend_inside_the_cooldown(outbox_app, db_session):
    first = _send()
    with pytest.raises(ResendTooSoon) as too_soon:
        _send(previous=first, now=NOW + timedelta(seconds=20))
    assert too_soon.value.wait_seconds == 40
    second = _send(previous=first, now=NOW + timedelta(seconds=60))
    assert second.digest != first.digest or second.issued_at != first.issued_at
    assert db_session.query(OutboxMessage).count() == 2
