"""The development-only demo administrator with a printed TOTP secret."""

from __future__ import annotations

import pyotp
import pytest

from app.accounts import signin
from app.accounts.services import NotInDevelopment, ensure_demo_admin, find_user_by_email, verify_password
from app.db import utcnow


def test_demo_admin_is_refused_outside_development(app, db_session):
    for env in ("testing", "production"):
        app.config["RIGHTSDESK_ENV"] = env
        with pytest.raises(NotInDevelopment):
            ensure_demo_admin()
    assert find_user_by_email("demo.admin@rightsdesk.example") is None


def test_demo_admin_can_sign_in_with_the_printed_secret(app, db_session):
    app.config["RIGHTSDESK_ENV"] = "development"
    login = ensure_demo_admin()
    db_session.commit()
    user = find_user_by_email(login.email)
    assert user.role.value == "admin" and user.has_second_factor
    assert verify_password(user, login.password)
    assert login.totp_uri.startswith("otpauth://totp/")
    first = signin.sign_in_with_password(login.email, login.password)
    assert first.ok and not first.needs_enrolment
    from app.accounts.sessions import check_session

    pending = check_session(first.token).staff_session
    assert signin.sign_in_with_code(pending, pyotp.TOTP(login.totp_secret).at(utcnow())).ok


def test_demo_admin_keeps_its_secret_and_gets_the_given_password(app, db_session):
    app.config["RIGHTSDESK_ENV"] = "development"
    first = ensure_demo_admin()
    second = ensure_demo_admin(password="a chosen demo password")
    assert second.totp_secret == first.totp_secret
    assert second.password == "a chosen demo password"
    assert verify_password(find_user_by_email(first.email), "a chosen demo password")
