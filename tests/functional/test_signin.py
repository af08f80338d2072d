"""Signing in to the console over HTTP: both steps, refusals, lockout, rate
limits, CSRF and redirects."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.accounts import totp
from app.accounts.models import SessionStage, StaffSession, User
from app.accounts.views import CODE_REFUSED, SIGN_IN_REFUSED
from app.audit.models import AuditEvent
from app.db import utcnow
from tests.signin import (
    PASSWORD,
    csrf_token,
    fresh_code,
    make_user,
    sign_in,
    submit_code,
    submit_password,
)


@pytest.fixture
def staff(db_session):
    return make_user()


def _events(db_session, action):
    return db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_sign_in_with_password_and_totp_reaches_the_console(client, db_session, staff):
    user, secret = staff
    response = sign_in(client, user, secret)
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    home = client.get("/console/")
    assert home.status_code == 200 and "Cases" in home.text and user.name in home.text
    [event] = _events(db_session, "auth.signed_in")
    assert event.actor_id == user.id and event.data["method"] == "totp"


def test_sign_in_refused_when_password_is_wrong(client, db_session, staff):
    user, _ = staff
    response = submit_password(client, user.email, "not the password at all")
    assert response.status_code == 200
    assert SIGN_IN_REFUSED in response.text and 'href="#email"' in response.text
    assert client.get("/console/").status_code == 302
    db_session.refresh(user)
    assert user.failed_attempts == 1
    [event] = _events(db_session, "auth.sign_in_failed")
    assert event.object_id == user.id and event.data["reason"] == "wrong_password"


def test_sign_in_for_unknown_email_looks_the_same_as_a_wrong_password(client, db_session, staff):
    user, _ = staff
    wrong = submit_password(client, user.email, "not the password at all")
    unknown = submit_password(client, "nobody@example.org", "not the password at all")
    assert unknown.status_code == wrong.status_code == 200

    def body(response):
        return response.text.split('name="csrf_token"')[0]  # the token differs, nothing else may

    assert body(unknown).replace("nobody@example.org", "X") == body(wrong).replace(user.email, "X")
    [event] = [e for e in _events(db_session, "auth.sign_in_failed") if e.object_id is None]
    assert event.data == {"reason": "unknown_account"}  # no email in the audit trail


def test_sign_in_refused_when_totp_code_is_wrong(client, db_session, staff):
    user, secret = staff
    submit_password(client, user.email)
    good = fresh_code(user, secret)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = submit_code(client, wrong)
    assert response.status_code == 200 and CODE_REFUSED in response.text
    assert client.get("/console/").status_code == 302
    db_session.refresh(user)
    assert user.failed_attempts == 1


def test_sign_in_refuses_a_replayed_totp_code(client, app, db_session, staff):
    user, secret = staff
    code = fresh_code(user, secret)
    submit_password(client, user.email)
    assert submit_code(client, code).status_code == 302

    other = app.test_client()  # someone who saw the code over the user's shoulder
    submit_password(other, user.email)
    response = submit_code(other, code)
    assert response.status_code == 200 and CODE_REFUSED in response.text
    assert other.get("/console/").status_code == 302


def test_recovery_code_signs_in_once_only(client, app, db_session, staff):
    user, _secret = staff
    codes = totp.replace_recovery_codes(user)
    db_session.commit()

    submit_password(client, user.email)
    response = submit_code(client, codes[0].upper())  # case and hyphens do not matter
    assert response.status_code == 302 and client.get("/console/").status_code == 200
    assert _events(db_session, "auth.signed_in")[0].data["method"] == "recovery_code"

    again = app.test_client()
    submit_password(again, user.email)
    assert CODE_REFUSED in submit_code(again, codes[0]).text
    assert submit_code(again, codes[1]).status_code == 302


def test_first_sign_in_enrols_an_authenticator_with_a_qr_code(client, db_session):
    user, _ = make_user("new.starter@example.org", with_totp=False)
    first = submit_password(client, user.email)
    assert first.headers["Location"].endswith("/console/sign-in/set-up")

    page = client.get("/console/sign-in/set-up")
    assert page.status_code == 200
    assert "<svg" in page.text and 'class="qr-code"' in page.text
    # The QR code is drawn by the server: the only script is the forms' one every console page loads.
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/js/forms.js" defer>']
    db_session.refresh(user)
    secret = user.totp_secret
    assert secret and totp.grouped_secret(secret) in page.text
    assert not user.has_second_factor  # not in force until confirmed

    token = csrf_token(client, "/console/sign-in/set-up")
    assert client.get("/console/sign-in/set-up").text.count(totp.grouped_secret(secret)) == 1  # same secret
    wrong = client.post("/console/sign-in/set-up", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 200 and "Enter the 6-digit code" in wrong.text

    done = client.post(
        "/console/sign-in/set-up", data={"csrf_token": token, "code": fresh_code(user, secret)}
    )
    assert done.status_code == 200 and "Save your recovery codes" in done.text
    assert done.headers["Cache-Control"] == "no-store"
    assert done.text.count("<li><code>") == 10
    assert client.get("/console/").status_code == 200
    db_session.refresh(user)
    assert user.has_second_factor
    assert _events(db_session, "auth.two_factor_enrolled")


def test_account_locks_after_five_failures_and_unlocks_after_fifteen_minutes(client, db_session, staff):
    user, secret = staff
    for _ in range(5):
        submit_password(client, user.email, "wrong password here")
    db_session.refresh(user)
    assert user.locked_until is not None
    assert timedelta(minutes=14) < user.locked_until - utcnow() <= timedelta(minutes=15)
    assert len(_events(db_session, "auth.locked")) == 1

    # The right password during the lock gets the same answer as a wrong one.
    locked = submit_password(client, user.email)
    assert locked.status_code == 200 and SIGN_IN_REFUSED in locked.text

    db_session.execute(
        update(User).where(User.id == user.id).values(locked_until=utcnow() - timedelta(seconds=1))
    )
    db_session.commit()
    assert sign_in(client, user, secret).status_code == 302
    db_session.refresh(user)
    assert user.failed_attempts == 0 and user.locked_until is None


def test_wrong_codes_count_towards_lockout_and_end_the_half_way_sign_in(client, db_session, staff):
    user, _ = staff
    submit_password(client, user.email, "wrong password here")
    submit_password(client, user.email)  # right password: does not reset the count
    for _ in range(3):
        assert CODE_REFUSED in submit_code(client, "000000").text
    last = submit_code(client, "000000")
    assert last.status_code == 302 and last.headers["Location"].endswith("/console/sign-in")
    db_session.refresh(user)
    assert user.locked_until is not None
    pending = db_session.scalars(select(StaffSession).where(StaffSession.stage == SessionStage.PENDING)).all()
    assert pending and all(row.ended_at is not None for row in pending)
    assert client.get("/console/sign-in/code").headers["Location"].endswith("/console/sign-in")


def test_sign_in_is_rate_limited_per_ip(client, app, staff):
    app.config["LIMIT_SIGN_IN_IP"] = "3 per 5 minutes"
    token = csrf_token(client, "/console/sign-in")
    statuses = [
        client.post(
            "/console/sign-in", data={"csrf_token": token, "email": f"u{i}@example.org", "password": "x"}
        ).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    response = client.post(
        "/console/sign-in", data={"csrf_token": token, "email": "u9@example.org", "password": "x"}
    )
    assert response.status_code == 429 and "Too many attempts" in response.text
    assert "Retry-After" in response.headers


def test_sign_in_is_rate_limited_per_account_across_ips(app, staff):
    user, _ = staff
    app.config["LIMIT_SIGN_IN_ACCOUNT"] = "2 per 15 minutes"
    statuses = []
    for i in range(3):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{i + 1}"
        statuses.append(submit_password(client, user.email, "wrong password here").status_code)
    assert statuses == [200, 200, 429]


def test_code_entry_is_rate_limited_per_account(client, app, staff):
    user, _ = staff
    app.config["LIMIT_CODE_ACCOUNT"] = "2 per 15 minutes"
    submit_password(client, user.email)
    assert [submit_code(client, "000000").status_code for _ in range(3)] == [200, 200, 429]


def test_post_without_csrf_token_is_refused(client, staff):
    user, _ = staff
    response = client.post("/console/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400 and "could not be sent" in response.text
    forged = client.post(
        "/console/sign-in", data={"csrf_token": "forged", "email": user.email, "password": PASSWORD}
    )
    assert forged.status_code == 400


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "/\t/evil.example", "javascript:x"],
)
def test_sign_in_never_redirects_off_site(client, staff, target):
    user, secret = staff
    response = sign_in(client, user, secret, next_path=target)
    assert response.status_code == 302 and response.headers["Location"] == "/console/"


def test_sign_in_returns_to_the_page_asked_for(client, staff):
    user, secret = staff
    start = client.get("/console/organisations")
    assert start.status_code == 302 and "next=/console/organisations" in start.headers["Location"]
    response = sign_in(client, user, secret, next_path="/console/organisations")
    assert response.headers["Location"] == "/console/organisations"


def test_disabled_user_cannot_sign_in(client, db_session, staff):
    user, _ = staff
    user.is_active = False
    db_session.commit()
    response = submit_password(client, user.email)
    assert response.status_code == 200 and SIGN_IN_REFUSED in response.text
