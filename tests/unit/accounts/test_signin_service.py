"""Sign-in rules without HTTP: lockout, its expiry, and what is audited."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from app.accounts import signin, totp
from app.accounts.models import Role, SessionStage, StaffSession
from app.accounts.policy import DEFAULT_POLICY
from app.accounts.services import create_user, user_can_authenticate
from app.audit.models import AuditEvent
from app.audit.services import verify_chain
from app.db import utcnow

PASSWORD = "a long enough passphrase"


@pytest.fixture
def user(db_session):
    user = create_user(email="lock@example.org", name="Lock", password=PASSWORD, role=Role.CASEWORKER)
    totp.activate_known_secret(user, totp.new_secret())
    db_session.commit()
    return user


def _fail(times, now=None):
    for _ in range(times):
        assert not signin.sign_in_with_password("lock@example.org", "wrong password", now=now).ok


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(db_session, user):
    now = utcnow()
    _fail(4, now)
    assert user.locked_until is None and user.failed_attempts == 4
    _fail(1, now)
    assert user.locked_until == now + timedelta(minutes=15)
    assert user.failed_attempts == 0
    assert not user_can_authenticate(user, now=now)
    assert not signin.sign_in_with_password(user.email, PASSWORD, now=now + timedelta(minutes=14)).ok


def test_lock_expires_after_fifteen_minutes(db_session, user):
    now = utcnow()
    _fail(5, now)
    later = now + DEFAULT_POLICY.lockout + timedelta(seconds=1)
    assert user_can_authenticate(user, now=later)
    result = signin.sign_in_with_password(user.email, PASSWORD, now=later)
    assert result.ok and result.token and not result.needs_enrolment


def test_attempts_during_a_lock_do_not_extend_it(db_session, user):
    now = utcnow()
    _fail(5, now)
    until = user.locked_until
    _fail(5, now + timedelta(minutes=5))
    assert user.locked_until == until


def test_right_password_does_not_reset_the_failure_count_but_full_sign_in_does(db_session, user):
    now = utcnow()
    _fail(3, now)
    first = signin.sign_in_with_password(user.email, PASSWORD, now=now)
    assert first.ok and user.failed_attempts == 3
    pending = db_session.scalars(select(StaffSession)).one()
    code = pyotp.TOTP(user.totp_secret).at(now)
    done = signin.sign_in_with_code(pending, code, now=now)
    assert done.ok and done.method == "totp" and user.failed_attempts == 0
    assert pending.ended_at is not None and pending.end_reason == "promoted"
    active = db_session.scalars(select(StaffSession).where(StaffSession.stage == SessionStage.ACTIVE)).one()
    assert active.token_hash != pending.token_hash


def test_lockout_at_the_code_step_ends_the_half_way_session_but_not_others(db_session, user):
    now = utcnow()
    first = signin.sign_in_with_password(user.email, PASSWORD, now=now)
    pending = db_session.scalars(select(StaffSession)).one()
    signin.sign_in_with_code(pending, pyotp.TOTP(user.totp_secret).at(now), now=now)
    active = db_session.scalars(select(StaffSession).where(StaffSession.stage == SessionStage.ACTIVE)).one()
    assert first.ok
    second = signin.sign_in_with_password(user.email, PASSWORD, now=now)
    assert second.ok
    half_way = db_session.scalars(
        select(StaffSession).where(
            StaffSession.stage == SessionStage.PENDING, StaffSession.ended_at.is_(None)
        )
    ).one()
    outcomes = [signin.sign_in_with_code(half_way, "000000", now=now).outcome for _ in range(5)]
    assert outcomes[-1] is signin.Outcome.LOCKED and outcomes[:4] == [signin.Outcome.REFUSED] * 4
    assert half_way.ended_at is not None and active.ended_at is None


def test_unknown_email_is_refused_and_audited_without_the_address(db_session, user):
    assert not signin.sign_in_with_password("Someone@Else.example", PASSWORD).ok
    db_session.commit()  # audit events are chained and written as the transaction commits
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).one()
    assert event.actor_type == "anonymous" and event.object_id is None
    assert "else.example" not in str(event.data).lower()


def test_every_step_is_audited_and_the_chain_holds(db_session, user):
    now = utcnow()
    _fail(5, now)
    later = now + timedelta(minutes=16)
    signin.sign_in_with_password(user.email, PASSWORD, now=later)
    pending = db_session.scalars(select(StaffSession)).one()
    result = signin.sign_in_with_code(pending, pyotp.TOTP(user.totp_secret).at(later), now=later)
    signin.sign_out(result.token)
    db_session.commit()
    actions = db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions == ["user.created"] + ["auth.sign_in_failed"] * 5 + [
        "auth.locked",
        "auth.signed_in",
        "auth.signed_out",
    ]
    assert verify_chain().intact
    for event in db_session.scalars(select(AuditEvent)):
        assert "lock@example.org" not in str(event.data)
