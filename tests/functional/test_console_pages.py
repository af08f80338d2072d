"""The console pages: frame, case list, organisations (scoped), account."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role, StaffSession
from app.audit.models import AuditEvent
from app.security import CONTENT_SECURITY_POLICY
from tests.signin import (
    PASSWORD,
    csrf_token,
    make_organisation,
    make_user,
    sign_in,
)


@pytest.fixture
def estate(db_session):
    trust = make_organisation("Oak Learning Trust", kind="trust")
    member = make_organisation("Oak Primary", trust=trust)
    other = make_organisation("Willow Academy")
    db_session.commit()
    return trust, member, other


def _signed_in(app, role, organisation=None, email=None):
    user, secret = make_user(email or f"{role.value}@example.org", role, organisation)
    client = app.test_client()
    sign_in(client, user, secret)
    return client, user, secret


def test_console_home_lists_cases_with_their_columns_and_an_empty_state(app, estate):
    client, _, _ = _signed_in(app, Role.CASEWORKER)
    page = client.get("/console/")
    assert page.status_code == 200
    for column in ("Reference", "Type", "Organisation", "Status", "Due date", "Days left"):
        assert '<th scope="col"' in page.text and column in page.text
    assert "There are no cases yet" in page.text
    assert 'href="#main"' in page.text and 'aria-current="page"' in page.text


def test_console_pages_need_a_full_sign_in(client, estate):
    for path in (
        "/console/",
        "/console/organisations",
        f"/console/organisations/{estate[0].id}",
        "/console/account",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/console/sign-in?next=" in response.headers["Location"]


def test_security_headers_are_on_every_response(client, app, estate):
    signed_in, _, _ = _signed_in(app, Role.ADMIN)
    responses = [
        client.get("/"),
        client.get("/console/sign-in"),
        client.get("/static/css/site.css"),
        client.get("/no-such-page"),
        signed_in.get("/console/organisations"),
    ]
    for response in responses:
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        for directive in (
            "default-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ):
            assert directive in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers  # production only
    assert responses[-1].headers["Cache-Control"] == "no-store"


def test_console_pages_have_no_inline_script_or_style(app, estate):
    client, _, _ = _signed_in(app, Role.ADMIN)
    for path in (
        "/console/",
        "/console/organisations",
        "/console/account",
        f"/console/organisations/{estate[0].id}",
    ):
        text = client.get(path).text
        # One script, the forms' one every console page loads, from a file.
        assert re.findall(r"<script[^>]*>.*?</script>", text, re.S) == [
            '<script src="/static/js/forms.js" defer></script>'
        ]
        assert "<style" not in text and " style=" not in text


def test_company_staff_see_every_organisation(app, estate):
    client, _, _ = _signed_in(app, Role.CASEWORKER)
    page = client.get("/console/organisations")
    for organisation in estate:
        assert organisation.name in page.text
    assert client.get(f"/console/organisations/{estate[2].id}").status_code == 200


def test_school_user_sees_only_its_own_organisation(app, estate):
    trust, member, other = estate
    client, _, _ = _signed_in(app, Role.SCHOOL, member)
    page = client.get("/console/organisations")
    assert member.name in page.text
    assert other.name not in page.text and f"/console/organisations/{trust.id}" not in page.text
    assert client.get(f"/console/organisations/{member.id}").status_code == 200
    for outside in (other, trust):
        response = client.get(f"/console/organisations/{outside.id}")
        assert response.status_code == 404 and outside.name not in response.text
    assert client.get("/console/organisations/not-a-uuid").status_code == 404


def test_trust_user_sees_the_trust_and_its_schools_only(app, estate):
    trust, member, other = estate
    client, _, _ = _signed_in(app, Role.SCHOOL, trust)
    page = client.get("/console/organisations")
    assert trust.name in page.text and member.name in page.text and other.name not in page.text
    trust_page = client.get(f"/console/organisations/{trust.id}")
    assert "Schools in this trust" in trust_page.text and member.name in trust_page.text
    assert client.get(f"/console/organisations/{other.id}").status_code == 404


def test_account_page_changes_password_and_ends_other_sessions(app, db_session, estate):
    client, user, secret = _signed_in(app, Role.ADMIN)
    elsewhere = app.test_client()
    sign_in(elsewhere, user, secret)

    token = csrf_token(client, "/console/account")
    wrong = client.post(
        "/console/account/password",
        data={
            "csrf_token": token,
            "current_password": "not my password",
            "new_password": "x" * 14,
            "confirm": "x" * 14,
        },
    )
    assert wrong.status_code == 200 and "Your current password is not right" in wrong.text
    assert 'href="#current_password"' in wrong.text

    done = client.post(
        "/console/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "a different passphrase",
            "confirm": "a different passphrase",
        },
    )
    assert done.status_code == 302
    assert client.get("/console/account").status_code == 200  # this browser stays in
    assert elsewhere.get("/console/").status_code == 302  # the other one is out
    reasons = sorted(r or "" for r in db_session.scalars(select(StaffSession.end_reason)))
    assert "password_changed" in reasons


def test_account_page_makes_new_recovery_codes_after_the_password(app, db_session, estate):
    client, _user, _ = _signed_in(app, Role.CASEWORKER)
    token = csrf_token(client, "/console/account")
    refused = client.post(
        "/console/account/recovery-codes", data={"csrf_token": token, "codes-password": "nope"}
    )
    assert refused.status_code == 200 and "Your password is not right" in refused.text
    made = client.post(
        "/console/account/recovery-codes", data={"csrf_token": token, "codes-password": PASSWORD}
    )
    assert made.status_code == 200 and made.text.count("<li><code>") == 10
    assert "previous recovery codes no longer work" in made.text
    assert db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.recovery_codes_regenerated")
    ).one()
    page = client.get("/console/account")
    assert "Recovery codes left</dt><dd>10" in page.text
