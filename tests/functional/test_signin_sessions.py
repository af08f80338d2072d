"""Session rotation, sign-out and timeouts, seen from the browser's cookie."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import SessionStage, StaffSession
from app.audit.models import AuditEvent
from app.db import utcnow
from tests.signin import (
    csrf_token,
    make_user,
    put_session_cookie,
    session_cookie,
    sign_in,
    sign_out,
    submit_password,
)


@pytest.fixture
def staff(db_session):
    return make_user()


def _authenticated(client) -> bool:
    return client.get("/console/").status_code == 200


def test_cookie_from_before_sign_in_does_not_authenticate_afterwards(client, staff):
    user, secret = staff
    csrf_token(client, "/console/sign-in")  # the visitor gets a cookie (CSRF token) before signing in
    before = session_cookie(client)
    assert before
    sign_in(client, user, secret)
    after = session_cookie(client)
    assert after != before and _authenticated(client)

    put_session_cookie(client, before)  # an attacker who planted or copied the old cookie
    assert not _authenticated(client)


def test_cookie_from_half_way_through_sign_in_does_not_authenticate(client, staff):
    user, secret = staff
    submit_password(client, user.email)
    half_way = session_cookie(client)
    from tests.signin import fresh_code, submit_code

    submit_code(client, fresh_code(user, secret))
    assert _authenticated(client) and session_cookie(client) != half_way
    put_session_cookie(client, half_way)
    assert not _authenticated(client)
    assert client.get("/console/sign-in/code").headers["Location"].endswith("/console/sign-in")


def test_starting_sign_in_again_ends_the_earlier_half_way_session(client, db_session, staff):
    user, _ = staff
    submit_password(client, user.email)
    first = session_cookie(client)
    submit_password(client, user.email)
    assert session_cookie(client) != first
    put_session_cookie(client, first)
    assert client.get("/console/sign-in/code").headers["Location"].endswith("/console/sign-in")
    reasons = db_session.scalars(select(StaffSession.end_reason).order_by(StaffSession.created_at)).all()
    assert reasons == ["replaced", None]


def test_signed_in_user_visiting_sign_in_keeps_their_session(client, staff):
    user, secret = staff
    sign_in(client, user, secret)
    cookie = session_cookie(client)
    response = client.get("/console/sign-in")
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    assert session_cookie(client) == cookie and _authenticated(client)


def test_sign_out_kills_the_cookie_even_if_replayed(client, db_session, staff):
    user, secret = staff
    sign_in(client, user, secret)
    cookie = session_cookie(client)
    response = sign_out(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/sign-in")
    assert not _authenticated(client)

    put_session_cookie(client, cookie)  # replay the signed-in cookie
    assert not _authenticated(client)
    row = db_session.scalars(select(StaffSession).where(StaffSession.stage == SessionStage.ACTIVE)).one()
    assert row.end_reason == "signed_out"
    assert db_session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.signed_out")).one()


def test_sign_out_needs_a_csrf_token(client, staff):
    user, secret = staff
    sign_in(client, user, secret)
    assert client.post("/console/sign-out").status_code == 400
    assert _authenticated(client)


def test_idle_session_times_out_after_thirty_minutes(client, db_session, staff):
    user, secret = staff
    sign_in(client, user, secret)
    db_session.execute(update(StaffSession).values(last_seen_at=utcnow() - timedelta(minutes=29)))
    db_session.commit()
    assert _authenticated(client)  # 29 minutes idle: still in (and the clock restarts)

    db_session.execute(update(StaffSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    db_session.commit()
    response = client.get("/console/")
    assert response.status_code == 302 and "/console/sign-in" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert "had not used Rights Desk for a while" in page.text
    row = db_session.scalars(select(StaffSession).where(StaffSession.stage == SessionStage.ACTIVE)).one()
    assert row.end_reason == "idle"
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.session_ended")).one()
    assert event.data["reason"] == "idle"


def test_session_ends_twelve_hours_after_sign_in_however_active(client, db_session, staff):
    user, secret = staff
    sign_in(client, user, secret)
    db_session.execute(update(StaffSession).values(created_at=utcnow() - timedelta(hours=12, minutes=1)))
    db_session.commit()
    assert not _authenticated(client)
    row = db_session.scalars(select(StaffSession).where(StaffSession.stage == SessionStage.ACTIVE)).one()
    assert row.end_reason == "absolute"


def test_session_cookie_is_httponly_and_samesite_lax(client, staff):
    user, secret = staff
    response = sign_in(client, user, secret)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # only in production, served over HTTPS


def test_production_cookie_is_secure_and_host_prefixed(tmp_path):
    from app import create_app
    from tests.conftest import TEST_MASTER_KEYS

    app = create_app(
        {
            "RIGHTSDESK_ENV": "production",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite'}",
            "SECRET_KEY": "s" * 40,
            "RIGHTSDESK_MASTER_KEYS": TEST_MASTER_KEYS,
            "RIGHTSDESK_INSTANCE": str(tmp_path),
            "RIGHTSDESK_BASE_URL": "https://rights.example.org",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-rightsdesk"
    response = app.test_client().get("/healthz", base_url="https://rights.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    forged = app.test_client().get("/healthz", base_url="https://attacker.example")
    assert forged.status_code == 400


def test_disabling_a_user_ends_their_session(client, app, db_session, staff):
    user, secret = staff
    sign_in(client, user, secret)
    result = app.test_cli_runner().invoke(args=["users", "disable", user.email])
    assert result.exit_code == 0, result.output
    assert not _authenticated(client)
