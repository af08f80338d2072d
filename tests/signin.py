"""Helpers for tests that sign in to the console through HTTP, CSRF included.

CSRF protection stays on in tests, so every POST carries the token from the
form page, as a browser would (``csrf_token(client, path)``).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import quote

import pyotp
from flask.testing import FlaskClient
from sqlalchemy import update

from app.accounts import totp
from app.accounts.models import Role, User
from app.accounts.services import create_user
from app.db import utcnow
from app.extensions import db
from app.orgs.models import Organisation
from app.orgs.services import create_organisation

PASSWORD = "correct horse battery staple"
_CSRF_INPUT = re.compile(r'<input[^>]*name="(?:[a-z]+-)?csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the (first) form on the page at ``path``."""
    response = client.get(path)
    match = _CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path} (status {response.status_code})"
    value = _VALUE.search(match.group(0))
    assert value
    return value.group(1)


def make_organisation(
    name: str,
    kind: str = "school",
    trust: Organisation | None = None,
    *,
    dp_contact_name: str = "Data Protection Lead",
    dp_contact_email: str = "dpo@example.org",
    public_authority: bool | str | None = None,
) -> Organisation:
    organisation = create_organisation(
        name=name,
        kind=kind,
        nation="england",
        contract_start=date(2024, 9, 1),
        dp_contact_name=dp_contact_name,
        dp_contact_email=dp_contact_email,
        trust=trust,
        public_authority=public_authority,
    )
    db.session.flush()
    return organisation


def make_user(
    email: str = "caseworker@example.org",
    role: Role = Role.CASEWORKER,
    organisation: Organisation | None = None,
    *,
    with_totp: bool = True,
    password: str = PASSWORD,
) -> tuple[User, str | None]:
    """A committed user, with a confirmed TOTP secret unless ``with_totp`` is False."""
    user = create_user(
        email=email,
        name="Test " + role.value,
        password=password,
        role=role,
        organisation_id=organisation.id if organisation else None,
    )
    secret = None
    if with_totp:
        secret = totp.new_secret()
        totp.activate_known_secret(user, secret)
    db.session.commit()
    return user, secret


def fresh_code(user: User, secret: str) -> str:
    """A code the server will accept now and for at least 30 seconds more:
    the current step's, or the next one's when the current one is used.
    Signing in again within 30 seconds would otherwise need the same code,
    which replay protection rightly refuses; when both are used the test
    moves the user's last step back. (The previous step's code, also within
    the drift window, is never given: it stops working at the next step
    boundary, which a slow browser can cross before the code arrives.)"""
    now = utcnow()
    generator = pyotp.TOTP(secret)
    current = generator.timecode(now)
    db.session.refresh(user)
    last = user.totp_last_step
    for step in (current, current + 1):
        if last is None or step > last:
            return generator.generate_otp(step)
    db.session.execute(update(User).where(User.id == user.id).values(totp_last_step=current - 1))
    db.session.commit()
    return generator.generate_otp(current)


def submit_password(client: FlaskClient, email: str, password: str = PASSWORD, next_path: str | None = None):
    path = "/console/sign-in" + (f"?next={quote(next_path, safe='/')}" if next_path else "")
    token = csrf_token(client, path)
    data = {"csrf_token": token, "email": email, "password": password}
    if next_path:
        data["next"] = next_path
    return client.post("/console/sign-in", data=data)


def submit_code(client: FlaskClient, code: str):
    token = csrf_token(client, "/console/sign-in/code")
    return client.post("/console/sign-in/code", data={"csrf_token": token, "code": code})


def sign_in(
    client: FlaskClient, user: User, secret: str, password: str = PASSWORD, next_path: str | None = None
):
    """Sign in through both steps; returns the response to the code step."""
    first = submit_password(client, user.email, password, next_path)
    assert first.status_code == 302 and first.headers["Location"].endswith("/console/sign-in/code"), (
        first.text
    )
    return submit_code(client, fresh_code(user, secret))


def sign_out(client: FlaskClient):
    token = csrf_token(client, "/console/account")
    return client.post("/console/sign-out", data={"csrf_token": token})


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def put_session_cookie(client: FlaskClient, value: str) -> None:
    client.set_cookie("session", value)


def minutes_ago(minutes: float):
    return utcnow() - timedelta(minutes=minutes)
