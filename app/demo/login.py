"""The demo admin login: made by the seed, kept in the instance folder (not in
production), shown again by ``flask demo login`` so ``make run`` can print it."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from app.accounts import totp
from app.accounts.models import Role
from app.accounts.services import (
    DEMO_ADMIN_EMAIL,
    create_user,
    ensure_demo_admin,
    find_user_by_email,
    set_password,
)
from app.extensions import db

LOGIN_FILE = "demo_login.txt"
_FIELDS = ("email", "password", "totp_secret", "totp_uri")


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    # Development only: the authenticator secret, so the second sign-in step
    # can be passed from the printed login.
    totp_secret: str | None = None
    totp_uri: str | None = None

    def describe(self, with_current_code: bool = False) -> str:
        lines = [f"email:    {self.email}", f"password: {self.password}"]
        if self.totp_secret:
            lines.append(f"TOTP secret (for an authenticator app): {self.totp_secret}")
            if with_current_code:
                lines.append(f"current TOTP code: {totp.current_code(self.totp_secret)} "
                             "(valid about 30 seconds; `flask demo login` shows a fresh one)")
        return "\n".join(lines) + "\n"


def refresh_demo_login() -> DemoLogin:
    """Give the demo admin a new password; the account is created once and
    kept, since other records may name it. The caller commits."""
    password = secrets.token_urlsafe(12)
    if current_app.config.get("RIGHTSDESK_ENV") == "development":
        made = ensure_demo_admin(DEMO_ADMIN_EMAIL, password=password)
        return DemoLogin(made.email, password, made.totp_secret, made.totp_uri)
    user = find_user_by_email(DEMO_ADMIN_EMAIL)
    if user is None:
        create_user(email=DEMO_ADMIN_EMAIL, name="Demo Administrator", password=password, role=Role.ADMIN)
    else:
        set_password(user, password)
        user.role, user.organisation_id, user.is_active = Role.ADMIN, None, True
    db.session.flush()
    return DemoLogin(DEMO_ADMIN_EMAIL, password)


def _path() -> Path:
    return Path(current_app.instance_path) / LOGIN_FILE


def save_login(login: DemoLogin) -> Path | None:
    """Owner-only file in the instance folder; never in production."""
    if current_app.config.get("RIGHTSDESK_ENV") == "production":
        return None
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("# Demo admin login written by `flask demo seed`\n")
        for name in _FIELDS:
            value = getattr(login, name)
            if value:
                handle.write(f"{name}: {value}\n")
    return path


def saved_login() -> DemoLogin | None:
    path = _path()
    if not path.exists():
        return None
    values = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition(": ")
        if name in _FIELDS:
            values[name] = value.strip()
    if "email" not in values or "password" not in values:
        return None
    return DemoLogin(**values)


def current_demo_login() -> DemoLogin | None:
    """The saved login; in development, a fresh one is made and saved when
    none is (so ``make run`` always has one to print)."""
    login = saved_login()
    if login is None and current_app.config.get("RIGHTSDESK_ENV") == "development":
        login = refresh_demo_login()
        db.session.commit()
        save_login(login)
    return login
