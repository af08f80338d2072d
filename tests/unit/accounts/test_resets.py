"""Password-reset links as a service: mail, single use, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import resets, sessions
from app.accounts.models import PasswordResetToken, Role, SessionStage
from app.accounts.services import AccountError, create_user, verify_password
from app.db import utcnow
from app.mail import OutboxMessage

NEW = "another long passphrase"


@pytest.fixture
def user(app, db_session):
    app.config["SMTP_URL"] = None
    user = create_user(
        email="reset@example.org", name="Reset", password="a long enough passphrase", role=Role.CASEWORKER
    )
    db_session.commit()
    return user


def _request(email="reset@example.org", now=None) -> str | None:
    tokens: list[str] = []
    resets.request_password_reset(
        email, lambda token: tokens.append(token) or f"https://desk.example/{token}", now=now
    )
    return tokens[0] if tokens else None


def test_reset_link_is_mailed_and_only_its_hash_kept(db_session, user):
    token = _request()
    [message] = db_session.scalars(select(OutboxMessage)).all()
    assert f"https://desk.example/{token}" in message.text_body
    stored = db_session.scalars(select(PasswordResetToken)).one()
    assert stored.token_hash == sessions.token_digest(token)
    assert stored.expires_at - stored.created_at == timedelta(hours=1)


def test_unknown_address_gets_no_link_and_no_mail(db_session, user):
    assert _request("stranger@example.org") is None
    assert db_session.scalars(select(OutboxMessage)).all() == []


def test_link_sets_the_password_once(db_session, user):
    token = _request()
    resets.complete_password_reset(token, NEW)
    assert verify_password(user, NEW)
    with pytest.raises(resets.InvalidResetLink):
        resets.complete_password_reset(token, "yet another passphrase")


def test_link_expires_after_an_hour(db_session, user):
    start = utcnow()
    token = _request(now=start)
    assert resets.find_live_link(token, now=start + timedelta(minutes=59)) is not None
    with pytest.raises(resets.InvalidResetLink):
        resets.complete_password_reset(token, NEW, now=start + timedelta(hours=1))


def test_weak_password_leaves_the_link_usable(db_session, user):
    token = _request()
    with pytest.raises(AccountError):
        resets.complete_password_reset(token, "short")
    resets.complete_password_reset(token, NEW)


def test_reset_ends_every_session(db_session, user):
    _, session_token = sessions.open_session(user, SessionStage.ACTIVE)
    resets.complete_password_reset(_request(), NEW)
    assert sessions.check_session(session_token).staff_session is None
