"""`flask demo seed` as a command: login, audit, refusals, reset, determinism."""

from __future__ import annotations

import hashlib
import re
import stat
from pathlib import Path

from sqlalchemy import func, select

from app import create_app
from app.accounts.models import Role, User
from app.accounts.services import verify_password
from app.audit.models import AuditEvent
from app.audit.services import verify_chain
from app.demo.services import DEMO_EMAIL
from app.orgs.models import Organisation
from app.sources.correspondence.models import Message
from app.sources.pupils.models import AttendanceWeek, Pupil
from tests.conftest import environ_for_tests

SMALL = ["demo", "seed", "--pupils", "60", "--schools", "3", "--as-of", "2026-03-10"]


def _seed(app, *extra: str):
    return app.test_cli_runner().invoke(args=[*SMALL, *extra])


def _password(output: str) -> str:
    return re.search(r"password: (\S+)", output).group(1)


def test_seed_demo_login_verifies_and_is_saved_owner_only(app, db_session):
    result = _seed(app)
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == DEMO_EMAIL))
    assert user.role is Role.ADMIN
    password = _password(result.output)
    assert verify_password(user, password)
    saved = Path(app.instance_path) / "demo_login.txt"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert DEMO_EMAIL in saved.read_text() and password in saved.read_text()


def test_seed_audit_event_holds_counts_only(app, db_session):
    assert _seed(app).exit_code == 0
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "demo.seeded"))
    assert event.data["counts"]["pupils"] == 60
    assert event.data["counts"]["attendance_weeks"] > 0
    assert "@" not in str(event.data)
    assert verify_chain().intact


def test_seed_refused_when_organisations_exist_without_reset(app, db_session):
    assert _seed(app).exit_code == 0
    before = db_session.scalar(select(func.count()).select_from(Pupil))
    result = _seed(app, "--seed", "2")
    assert result.exit_code == 1
    assert "--reset" in result.output
    assert db_session.scalar(select(func.count()).select_from(Pupil)) == before


def test_seed_reset_replaces_data_and_keeps_one_login(app, db_session):
    first = _seed(app)
    second = _seed(app, "--reset", "--pupils", "40")
    assert second.exit_code == 0, second.output
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Pupil)) == 40
    users = db_session.scalars(select(User).where(User.email == DEMO_EMAIL)).all()
    assert len(users) == 1
    assert verify_password(users[0], _password(second.output))
    assert not verify_password(users[0], _password(first.output))
    seeded = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "demo.seeded")
    assert db_session.scalar(seeded) == 2


def _fingerprint(db_session) -> str:
    digest = hashlib.sha256()
    for row in db_session.execute(
        select(Pupil.id, Pupil.upn, Pupil.legal_forename, Pupil.legal_surname, Pupil.date_of_birth,
               Pupil.postcode).order_by(Pupil.upn)
    ):
        digest.update(repr(tuple(row)).encode())
    for row in db_session.execute(
        select(AttendanceWeek.pupil_id, AttendanceWeek.week_start, AttendanceWeek.slots)
        .order_by(AttendanceWeek.pupil_id, AttendanceWeek.week_start)
    ):
        digest.update(repr(tuple(row)).encode())
    for body in db_session.scalars(select(Message.body).order_by(Message.body)):
        digest.update(body.encode())
    return digest.hexdigest()


def test_seed_deterministic_for_same_seed(app, db_session):
    assert _seed(app, "--seed", "11").exit_code == 0
    first = _fingerprint(db_session)
    assert _seed(app, "--seed", "11", "--reset").exit_code == 0
    db_session.expire_all()
    assert _fingerprint(db_session) == first
    assert _seed(app, "--seed", "12", "--reset").exit_code == 0
    db_session.expire_all()
    assert _fingerprint(db_session) != first


def test_seed_refused_in_production(app, db_session, tmp_path):
    production = create_app(environ_for_tests(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "prod", RIGHTSDESK_ENV="production"
    ))
    # The command runs in whichever application context is current.
    with production.app_context():
        result = production.test_cli_runner().invoke(args=SMALL)
    assert result.exit_code == 1
    assert "production" in result.output
    assert db_session.scalar(select(func.count()).select_from(Organisation)) == 0
    with production.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_seed_in_production_with_force_writes_no_login_file(app, db_session, tmp_path):
    production = create_app(environ_for_tests(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "prod", RIGHTSDESK_ENV="production"
    ))
    with production.app_context():
        result = production.test_cli_runner().invoke(args=[*SMALL, "--force"])
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert "password:" in result.output
    assert not (tmp_path / "prod" / "demo_login.txt").exists()
    assert db_session.scalar(select(func.count()).select_from(Pupil)) == 60


def test_demo_login_command_prints_saved_login(app, db_session):
    assert _seed(app).exit_code == 0
    result = app.test_cli_runner().invoke(args=["demo", "login"])
    assert result.exit_code == 0
    assert DEMO_EMAIL in result.output and "password:" in result.output


def test_demo_login_command_without_seed_exits_1(app):
    result = app.test_cli_runner().invoke(args=["demo", "login"])
    assert result.exit_code == 1
    assert "flask demo seed" in result.output


def test_seed_in_development_saves_second_factor_secret(app, db_session, tmp_path):
    development = create_app(environ_for_tests(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "dev", RIGHTSDESK_ENV="development"
    ))
    with development.app_context():
        result = development.test_cli_runner().invoke(args=SMALL)
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    saved = (tmp_path / "dev" / "demo_login.txt").read_text()
    assert "totp_secret: " in saved and _password(result.output) in saved
    user = db_session.scalar(select(User).where(User.email == DEMO_EMAIL))
    assert user.has_second_factor and verify_password(user, _password(result.output))


def test_seed_workers_produce_the_same_data_as_one_process(app, db_session):
    """On PostgreSQL, worker processes generate schools in parallel; each
    school has its own random stream, so the data cannot depend on it.
    (SQLite always generates in-process, where this holds trivially.)"""
    assert _seed(app, "--workers", "0").exit_code == 0
    inline = _fingerprint(db_session)
    result = _seed(app, "--workers", "2", "--reset")
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    assert _fingerprint(db_session) == inline


def test_seed_if_empty_leaves_existing_data_alone(app, db_session):
    assert _seed(app).exit_code == 0
    before = db_session.scalar(select(func.count()).select_from(Pupil))
    result = _seed(app, "--if-empty", "--pupils", "30")
    assert result.exit_code == 0
    assert "not seeding" in result.output
    assert db_session.scalar(select(func.count()).select_from(Pupil)) == before


def test_demo_login_command_in_development_makes_login_when_none_saved(app, db_session, tmp_path):
    development = create_app(environ_for_tests(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "dev", RIGHTSDESK_ENV="development"
    ))
    with development.app_context():
        result = development.test_cli_runner().invoke(args=["demo", "login"])
        again = development.test_cli_runner().invoke(args=["demo", "login"])
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert re.search(r"current TOTP code: \d{6}", result.output)
    assert _password(again.output) == _password(result.output)
    user = db_session.scalar(select(User).where(User.email == DEMO_EMAIL))
    assert verify_password(user, _password(result.output))


def test_seed_runs_generated_rows_through_import_checks(app, db_session, monkeypatch):
    import app.demo.generate as generate

    seen = []
    monkeypatch.setattr(generate, "check_row", lambda kind, row: seen.append(kind))
    assert _seed(app).exit_code == 0
    assert {"pupil", "contact", "employee"} <= set(seen)
