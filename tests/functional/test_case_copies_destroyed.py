"""A finished case whose copies were destroyed, through the API and the
console: the evidence file answers 410 with the reason (not a 500, not the
bytes), the case says when its copies went, and nothing is audited as a
download."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.cases import services as case_services
from app.cases.evidence import add_evidence
from app.db import utcnow
from app.exports import retention
from app.extensions import db
from tests.evidence_files import pdf_file
from tests.signin import make_user, sign_in
from tests.unit.api.estate import build_estate
from tests.unit.cases.factory import new_case

PROOF = pdf_file()


@pytest.fixture
def destroyed(db_session):
    """A withdrawn case of Birch Primary, its evidence destroyed after retention."""
    estate = build_estate()
    case = new_case(estate.birch_primary, requester_email="parent@birch.example.net")
    item = add_evidence(case, "identity", io.BytesIO(PROOF), filename="Court order.pdf", declared_type=None)
    case_services.withdraw(case, None)
    case.closed_at = utcnow() - timedelta(days=40)
    db.session.commit()
    report = retention.destroy_expired_copies()
    db.session.commit()
    assert report.cases == [case.id] and report.evidence_files == 1
    return estate, case, item


def _downloads() -> int:
    query = select(func.count()).where(AuditEvent.action == "case.evidence_downloaded")
    return db.session.scalar(query)


def test_api_answers_410_for_a_destroyed_evidence_file_and_shows_when(client, destroyed):
    estate, case, item = destroyed
    detail = client.get(f"/api/v1/cases/{case.reference}", headers=estate.auth("trust"))
    assert detail.status_code == 200, detail.text
    body = detail.get_json()
    assert body["copies_destroyed_at"] is not None
    [listed] = body["evidence"]
    assert listed["filename"] == "destroyed" and listed["destroyed_at"] is not None
    assert listed["kind"] == "identity" and listed["size"] == len(PROOF)

    gone = client.get(f"/api/v1/cases/{case.reference}/evidence/{item.id}", headers=estate.auth("trust"))
    assert gone.status_code == 410
    error = gone.get_json()["error"]
    assert error["code"] == "destroyed" and "can no longer be opened" in error["message"]
    assert PROOF not in gone.data
    assert _downloads() == 0
    # Still scoped: another school's user does not learn the file existed.
    other = client.get(f"/api/v1/cases/{case.reference}/evidence/{item.id}", headers=estate.auth("alder"))
    assert other.status_code == 404


def test_console_shows_the_destruction_and_answers_410_for_the_file(app, destroyed):
    _estate, case, item = destroyed
    user, secret = make_user("cw.copies@example.org", Role.CASEWORKER)
    client = app.test_client()
    sign_in(client, user, secret)

    page = client.get(f"/console/cases/{case.id}")
    assert page.status_code == 200
    html = page.text
    assert 'id="copies-destroyed"' in html and "were destroyed on" in html
    assert f"/console/cases/{case.id}/evidence/{item.id}" not in html  # no link to a file that cannot open
    assert "Destroyed " in html and "Court order.pdf" not in html

    gone = client.get(f"/console/cases/{case.id}/evidence/{item.id}")
    assert gone.status_code == 410
    assert "This file has been destroyed" in gone.text and "can no longer be opened" in gone.text
    assert PROOF not in gone.data
    assert _downloads() == 0
