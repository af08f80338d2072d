"""``flask users invite`` and the invited state in ``flask users list``."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.accounts.services import create_user, find_user_by_email
from app.mail import OutboxMessage

_TOKEN = re.compile(r"/console/invite/([A-Za-z0-9_-]+)")


@pytest.fixture
def runner(app):
    app.config["SMTP_URL"] = None  # mail stays in the outbox table
    return app.test_cli_runner()


def _invite(runner, email="new@example.org", *extra: str):
    return runner.invoke(
        args=["users", "invite", "--email", email, "--name", "New Person", "--role", "caseworker", *extra]
    )


def test_users_invite_emails_the_link_and_prints_nothing_secret(runner, db_session):
    result = _invite(runner)
    assert result.exit_code == 0, result.output
    user = find_user_by_email("new@example.org")
    assert user is not None and not user.is_active and str(user.id) in result.output
    [message] = db_session.scalars(select(OutboxMessage)).all()
    token = _TOKEN.search(message.text_body).group(1)
    assert token not in result.output and "/console/invite/" not in result.output
    listing = runner.invoke(args=["users", "list"])
    assert re.search(r"new@example.org\s+caseworker\s+no\s+invited", listing.output), listing.output


def test_users_invite_refuses_an_active_address(runner, db_session):
    create_user(email="here@example.org", name="Here", password="a long enough passphrase", role=Role.ADMIN)
    db_session.commit()
    result = _invite(runner, "here@example.org")
    assert (
        result.exit_code == 1
        and "--email: A member of staff already uses this email address" in result.output
    )
    assert db_session.scalars(select(OutboxMessage)).all() == []


def test_users_invite_checks_the_organisation_id(runner, db_session):
    result = _invite(runner, "school@example.org", "--organisation", "not-a-uuid")
    assert result.exit_code == 2 and find_user_by_email("school@example.org") is None
