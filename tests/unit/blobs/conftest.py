"""Helpers for blob and rotation tests: switching the keyring, and rows with
encrypted columns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask

from app import crypto
from app.accounts.models import Role, User
from app.orgs.models import Nation, Organisation, OrgKind
from app.sources.pupils.models import Pupil, SendProvision, SendRecord


@pytest.fixture
def use_keyring(app: Flask, db_session) -> Callable[..., crypto.Keyring]:
    """Restart the keyring with these entries, as a redeploy with a new
    RIGHTSDESK_MASTER_KEYS would."""

    def use(*entries: str) -> crypto.Keyring:
        db_session.commit()
        app.config["RIGHTSDESK_MASTER_KEYS"] = ",".join(entries)
        crypto.init_app(app)
        # Loaded rows were opened under the previous keyring; read them afresh.
        db_session.expire_all()
        return app.extensions[crypto.EXTENSION_KEY]

    return use


@pytest.fixture
def original_keys(app: Flask) -> str:
    return app.config["RIGHTSDESK_MASTER_KEYS"]


@pytest.fixture
def make_user(db_session) -> Callable[..., User]:
    def make(number: int, totp_secret: str | None) -> User:
        user = User(
            email=f"staff{number}@example.org",
            name=f"Staff {number}",
            password_hash="not-a-real-hash",
            role=Role.CASEWORKER,
            totp_secret=totp_secret,
        )
        db_session.add(user)
        db_session.flush()
        return user

    return make


@pytest.fixture
def make_send_record(db_session) -> Callable[..., SendRecord]:
    made: dict[str, Pupil] = {}

    def make(notes: str | None) -> SendRecord:
        if "pupil" not in made:
            school = Organisation(
                name="Test Primary",
                kind=OrgKind.SCHOOL,
                nation=Nation.ENGLAND,
                contract_start=date(2024, 9, 1),
                dp_contact_name="Data Lead",
                dp_contact_email="dpo@school.example.org",
            )
            db_session.add(school)
            db_session.flush()
            made["pupil"] = Pupil(
                organisation_id=school.id,
                upn="A123456789012",
                legal_forename="Sam",
                legal_surname="Example",
                surname_key="example",
                forename_key="sam",
                date_of_birth=date(2015, 3, 4),
                gender="U",
            )
            db_session.add(made["pupil"])
            db_session.flush()
        record = SendRecord(
            pupil_id=made["pupil"].id,
            provision=SendProvision.SEN_SUPPORT,
            primary_need="SPLD",
            start_date=date(2023, 9, 1),
            notes=notes,
        )
        db_session.add(record)
        db_session.flush()
        return record

    return make
