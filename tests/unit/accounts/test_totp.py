"""TOTP codes (drift window, replay protection), enrolment and recovery codes."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, text

from app.accounts import totp
from app.accounts.models import RecoveryCode, Role
from app.accounts.services import create_user
from app.db import utcnow


@pytest.fixture
def user(db_session):
    user = create_user(
        email="totp@example.org", name="Totp", password="a long enough passphrase", role=Role.CASEWORKER
    )
    totp.activate_known_secret(user, totp.new_secret())
    db_session.commit()
    return user


def _code(user, now, offset=0):
    return pyotp.TOTP(user.totp_secret).at(now, counter_offset=offset)


def test_current_code_is_accepted_and_its_step_remembered(user):
    now = utcnow()
    assert totp.verify_totp(user, _code(user, now), now=now)
    assert user.totp_last_step == pyotp.TOTP(user.totp_secret).timecode(now)


def test_wrong_or_malformed_code_is_refused(user):
    now = utcnow()
    good = _code(user, now)
    assert not totp.verify_totp(user, f"{(int(good) + 1) % 1_000_000:06d}", now=now)
    for bad in ("", "12345", "1234567", "abcdef", good + "0"):
        assert not totp.verify_totp(user, bad, now=now)
    assert user.totp_last_step is None


def test_same_code_cannot_be_used_twice(user):
    now = utcnow()
    code = _code(user, now)
    assert totp.verify_totp(user, code, now=now)
    assert not totp.verify_totp(user, code, now=now)
    assert not totp.verify_totp(user, code, now=now + timedelta(seconds=20))  # still its window


def test_older_code_is_refused_after_a_newer_one(user):
    now = utcnow()
    assert totp.verify_totp(user, _code(user, now, offset=1), now=now)
    assert not totp.verify_totp(user, _code(user, now), now=now)


def test_one_step_of_clock_drift_is_allowed_but_not_two(user):
    now = utcnow()
    assert totp.verify_totp(user, _code(user, now, offset=-1), now=now)
    assert not totp.verify_totp(user, _code(user, now, offset=-2), now=now + timedelta(seconds=1))
    assert not totp.verify_totp(user, _code(user, now, offset=2), now=now)


def test_code_with_spaces_is_accepted(user):
    now = utcnow()
    code = _code(user, now)
    assert totp.verify_totp(user, f" {code[:3]} {code[3:]} ", now=now)


def test_enrolment_is_in_force_only_after_a_confirming_code(db_session):
    user = create_user(
        email="new@example.org", name="New", password="a long enough passphrase", role=Role.ADMIN
    )
    secret = totp.start_enrolment(user)
    assert totp.start_enrolment(user) == secret  # a reload shows the same secret
    assert not user.has_second_factor
    now = utcnow()
    assert (
        totp.confirm_enrolment(user, "000000" if _code(user, now) != "000000" else "111111", now=now) is None
    )
    codes = totp.confirm_enrolment(user, _code(user, now), now=now)
    assert codes is not None and len(codes) == 10 and len(set(codes)) == 10
    assert user.has_second_factor
    with pytest.raises(ValueError):
        totp.start_enrolment(user)


def test_totp_secret_is_encrypted_at_rest(db_session, user):
    stored = db_session.execute(
        text("SELECT totp_secret FROM users WHERE email = 'totp@example.org'")
    ).scalar()
    assert isinstance(stored, bytes | memoryview) and user.totp_secret.encode() not in bytes(stored)


def test_recovery_codes_are_stored_as_hashes_and_work_once(db_session, user):
    codes = totp.replace_recovery_codes(user)
    db_session.commit()
    stored = db_session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not any(code.replace("-", "") in h for code in codes for h in stored)
    assert totp.use_recovery_code(user, codes[3])
    assert not totp.use_recovery_code(user, codes[3])
    assert totp.recovery_codes_left(user) == 9
    assert not totp.use_recovery_code(user, "aaaaa-bbbbb-ccccc")


def test_another_users_recovery_code_does_not_work(db_session, user):
    other = create_user(
        email="other@example.org", name="Other", password="a long enough passphrase", role=Role.ADMIN
    )
    totp.activate_known_secret(other, totp.new_secret())
    theirs = totp.replace_recovery_codes(other)
    assert not totp.use_recovery_code(user, theirs[0])
    assert totp.use_recovery_code(other, theirs[0])


def test_regenerating_recovery_codes_discards_the_old_ones(db_session, user):
    old = totp.replace_recovery_codes(user)
    new = totp.regenerate_recovery_codes(user)
    assert not totp.use_recovery_code(user, old[0])
    assert totp.use_recovery_code(user, new[0])


def test_qr_code_is_inline_svg_without_style_or_script(user):
    svg = totp.qr_svg(totp.provisioning_uri(user))
    assert svg.startswith("<svg") and "<title>" in svg
    assert "style" not in svg and "<script" not in svg and "<?xml" not in svg
    uri = totp.provisioning_uri(user)
    assert (
        uri.startswith("otpauth://totp/Rights%20Desk:totp%40example.org?") and "issuer=Rights%20Desk" in uri
    )
