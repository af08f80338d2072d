"""Password reset by emailed link, over HTTP; mail is read from the outbox."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import PasswordResetToken, User
from app.audit.models import AuditEvent
from app.db import utcnow
from app.mail import OutboxMessage
from tests.signin import csrf_token, make_user, sign_in, submit_password

NEW_PASSWORD = "a brand new passphrase 42"
_LINK = re.compile(r"http://localhost(/console/password-reset/[A-Za-z0-9_-]+)")


@pytest.fixture
def staff(app, db_session):
    app.config["SMTP_URL"] = None  # keep mail in the outbox table
    return make_user()


def _ask_for_link(client, email):
    token = csrf_token(client, "/console/password-reset")
    return client.post("/console/password-reset", data={"csrf_token": token, "email": email})


def _outbox(db_session):
    return db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)).all()


def _link_in(message) -> str:
    match = _LINK.search(message.text_body)
    assert match, message.text_body
    return match.group(1)


def _choose(client, path, password=NEW_PASSWORD, confirm=None):
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, "password": password, "confirm": confirm or password})


def test_reset_link_is_emailed_and_sets_a_new_password(client, db_session, staff):
    user, secret = staff
    response = _ask_for_link(client, user.email.upper())
    assert response.status_code == 200 and "Check your email" in response.text
    [message] = _outbox(db_session)
    assert message.category == "accounts.password_reset" and message.recipient_list == [user.email]
    path = _link_in(message)
    stored = db_session.scalars(select(PasswordResetToken)).one()
    assert path.rsplit("/", 1)[1] not in stored.token_hash  # only the hash is kept

    done = _choose(client, path)
    assert done.status_code == 302 and done.headers["Location"].endswith("/console/sign-in")
    assert sign_in(client, user, secret, password=NEW_PASSWORD).status_code == 302
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert "auth.password_reset_requested" in actions and "auth.password_reset_completed" in actions


def test_reset_for_unknown_email_gives_the_same_answer_and_sends_nothing(client, db_session, staff):
    user, _ = staff
    known = _ask_for_link(client, user.email)
    unknown = _ask_for_link(client, "nobody@example.org")
    assert unknown.status_code == known.status_code == 200
    assert unknown.text == known.text
    assert len(_outbox(db_session)) == 1  # the known address's only


def test_reset_link_works_once(client, db_session, staff):
    user, _ = staff
    _ask_for_link(client, user.email)
    path = _link_in(_outbox(db_session)[0])
    assert _choose(client, path).status_code == 302
    again = client.get(path)
    assert again.status_code == 404 and "This link does not work" in again.text
    # Posting straight to the spent link does nothing either.
    token = csrf_token(client, "/console/password-reset")
    assert (
        client.post(
            path,
            data={
                "csrf_token": token,
                "password": "another new passphrase",
                "confirm": "another new passphrase",
            },
        ).status_code
        == 404
    )


def test_reset_link_expires_after_an_hour(client, db_session, staff):
    user, _ = staff
    _ask_for_link(client, user.email)
    path = _link_in(_outbox(db_session)[0])
    db_session.execute(update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db_session.commit()
    assert client.get(path).status_code == 404


def test_only_the_newest_reset_link_works(client, db_session, staff):
    user, _ = staff
    _ask_for_link(client, user.email)
    _ask_for_link(client, user.email)
    first, second = (_link_in(m) for m in _outbox(db_session))
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_reset_refuses_a_weak_password_and_keeps_the_link(client, db_session, staff):
    user, _ = staff
    _ask_for_link(client, user.email)
    path = _link_in(_outbox(db_session)[0])
    weak = _choose(client, path, password="short")
    assert weak.status_code == 200 and "at least 12 characters" in weak.text
    mismatch = _choose(client, path, confirm="something else entirely")
    assert "Enter the same password twice" in mismatch.text
    assert _choose(client, path).status_code == 302


def test_reset_lifts_a_lockout(client, db_session, staff):
    user, secret = staff
    for _ in range(5):
        submit_password(client, user.email, "wrong password here")
    _ask_for_link(client, user.email)
    _choose(client, _link_in(_outbox(db_session)[0]))
    db_session.refresh(user)
    assert user.locked_until is None
    assert sign_in(client, user, secret, password=NEW_PASSWORD).status_code == 302


def test_reset_requests_are_rate_limited(client, app, db_session, staff):
    user, _ = staff
    app.config["LIMIT_RESET_ACCOUNT"] = "2 per hour"
    statuses = [_ask_for_link(client, user.email).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_disabled_user_gets_no_reset_link(client, db_session, staff):
    user, _ = staff
    db_session.execute(update(User).where(User.id == user.id).values(is_active=False))
    db_session.commit()
    assert _ask_for_link(client, user.email).status_code == 200
    assert _outbox(db_session) == []
