"""Server-side sessions: timeouts against an injected clock, and ending them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts import sessions
from app.accounts.models import Role, SessionStage
from app.accounts.services import create_user, disable_user
from app.db import utcnow


@pytest.fixture
def user(db_session):
    user = create_user(
        email="s@example.org", name="Session", password="a long enough passphrase", role=Role.ADMIN
    )
    db_session.commit()
    return user


def test_only_the_hash_of_the_token_is_stored(user):
    row, token = sessions.open_session(user, SessionStage.ACTIVE)
    assert row.token_hash == sessions.token_digest(token) and token not in row.token_hash
    assert len(token) >= 43  # 256 bits
    assert sessions.check_session(token).user is user
    assert sessions.check_session(token + "x").staff_session is None
    assert sessions.check_session(None).staff_session is None


def test_activity_keeps_a_session_alive_until_the_absolute_limit(user):
    start = utcnow()
    row, token = sessions.open_session(user, SessionStage.ACTIVE, now=start)
    for step in range(1, 28):  # a request every 25 minutes for 11 h 15
        moment = start + step * timedelta(minutes=25)
        assert sessions.check_session(token, now=moment).staff_session is row
    ended = sessions.check_session(token, now=start + timedelta(hours=12, seconds=1))
    assert ended.ended_reason == "absolute" and row.ended_at is not None
    assert sessions.check_session(token, now=start).staff_session is None  # ended for good


def test_idle_session_ends_after_thirty_minutes(user):
    start = utcnow()
    row, token = sessions.open_session(user, SessionStage.ACTIVE, now=start)
    assert sessions.check_session(token, now=start + timedelta(minutes=29)).staff_session is row
    check = sessions.check_session(token, now=start + timedelta(minutes=29 + 31))
    assert check.ended_reason == "idle" and check.ended_session is row


def test_half_way_session_lasts_ten_minutes(user):
    start = utcnow()
    row, token = sessions.open_session(user, SessionStage.PENDING, now=start)
    assert sessions.check_session(token, now=start + timedelta(minutes=9)).staff_session is row
    assert sessions.check_session(token, now=start + timedelta(minutes=11)).ended_reason == "expired"


def test_disabling_a_user_ends_every_session(db_session, user):
    tokens = [sessions.open_session(user, SessionStage.ACTIVE)[1] for _ in range(3)]
    disable_user(user)
    assert all(sessions.check_session(token).staff_session is None for token in tokens)


def test_end_all_sessions_can_spare_one(user):
    keep, keep_token = sessions.open_session(user, SessionStage.ACTIVE)
    _, other_token = sessions.open_session(user, SessionStage.ACTIVE)
    assert sessions.end_all_sessions(user.id, "password_changed", except_id=keep.id) == 1
    assert sessions.check_session(keep_token).staff_session is keep
    assert sessions.check_session(other_token).staff_session is None
