"""``flask users`` commands."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import sessions, totp
from app.accounts.models import RecoveryCode, Role, SessionStage, User
from app.accounts.services import create_user, find_user_by_email, verify_password
from app.audit.models import AuditEvent
from app.db import utcnow
from tests.signin import make_organisation

PASSWORD = "a long enough passphrase"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_users_create_makes_an_admin(runner, db_session):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Boss@Example.org",
            "--name",
            "The Boss",
            "--role",
            "admin",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    user = find_user_by_email("boss@example.org")
    assert user.role is Role.ADMIN and verify_password(user, PASSWORD) and not user.has_second_factor
    assert str(user.id) in result.output


def test_users_create_prompts_for_the_password(runner, db_session):
    result = runner.invoke(
        args=["users", "create", "--email", "p@example.org", "--name", "Prompted", "--role", "caseworker"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input
    assert verify_password(find_user_by_email("p@example.org"), PASSWORD)


def test_users_create_school_user_with_organisation(runner, db_session):
    school = make_organisation("Ash School")
    db_session.commit()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "head@ash.example",
            "--name",
            "Head",
            "--role",
            "school",
            "--organisation",
            str(school.id),
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert find_user_by_email("head@ash.example").organisation_id == school.id


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--role", "school"], "--organisation: A school user needs an organisation"),
        (["--role", "admin", "--organisation", "nope"], "not an organisation id"),
        (["--role", "admin", "--password", "short"], "--password: Password must be at least 12"),
    ],
)
def test_users_create_explains_what_is_wrong(runner, db_session, extra, message):
    args = ["users", "create", "--email", "x@example.org", "--name", "X", *extra]
    if "--password" not in extra:
        args += ["--password", PASSWORD]
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and message in result.output
    assert db_session.scalars(select(User)).all() == []


def test_users_list_shows_role_state_and_two_factor(runner, db_session):
    school = make_organisation("Birch School")
    create_user(email="a@example.org", name="A", password=PASSWORD, role=Role.ADMIN)
    locked = create_user(
        email="s@example.org", name="S", password=PASSWORD, role=Role.SCHOOL, organisation_id=school.id
    )
    from datetime import timedelta

    locked.locked_until = utcnow() + timedelta(minutes=5)
    db_session.commit()
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("EMAIL")
    assert any("a@example.org" in line and "admin" in line and "active" in line for line in lines)
    assert any("s@example.org" in line and "locked" in line and "Birch School" in line for line in lines)


def test_users_disable_and_unlock(runner, db_session):
    user = create_user(email="d@example.org", name="D", password=PASSWORD, role=Role.CASEWORKER)
    _, token = sessions.open_session(user, SessionStage.ACTIVE)
    user.locked_until = utcnow()
    db_session.commit()
    assert runner.invoke(args=["users", "unlock", "D@example.org"]).exit_code == 0
    db_session.refresh(user)
    assert user.locked_until is None
    assert runner.invoke(args=["users", "disable", "d@example.org"]).exit_code == 0
    db_session.refresh(user)
    assert not user.is_active and sessions.check_session(token).staff_session is None
    actions = set(db_session.scalars(select(AuditEvent.action)))
    assert {"user.disabled", "user.unlocked"} <= actions


def test_users_reset_2fa_removes_the_authenticator_and_codes(runner, db_session):
    user = create_user(email="r@example.org", name="R", password=PASSWORD, role=Role.CASEWORKER)
    totp.activate_known_secret(user, totp.new_secret())
    totp.replace_recovery_codes(user)
    db_session.commit()
    result = runner.invoke(args=["users", "reset-2fa", "r@example.org"])
    assert result.exit_code == 0, result.output
    db_session.refresh(user)
    assert user.totp_secret is None and not user.has_second_factor
    assert db_session.scalars(select(RecoveryCode)).all() == []


def test_users_commands_report_an_unknown_email(runner, db_session):
    for command in ("disable", "unlock", "reset-2fa"):
        result = runner.invoke(args=["users", command, "ghost@example.org"])
        assert result.exit_code == 1 and "No user has the email address" in result.output
