"""Support-access grants over the API: a school user gives one (seven days
by default), lists and withdraws it; other schools see none of it."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.restriction import support_access
from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from tests.unit.api.estate import build_estate, make_user
from tests.unit.sources import factories


@pytest.fixture
def estate(db_session):
    return build_estate()


def test_school_user_grants_lists_and_revokes(client, estate):
    made = client.post(
        "/api/v1/support-grants",
        json={"agent_name": "Priya Desai", "purpose": "The register stops on one mark."},
        headers=estate.auth("alder"),
    )
    assert made.status_code == 201, made.text
    grant = made.get_json()
    granted, expires = (datetime.fromisoformat(grant[k]) for k in ("granted_at", "expires_at"))
    assert expires - granted == timedelta(days=7) and grant["state"] == "active"
    assert grant["organisation_id"] == str(estate.alder.id)

    assert [
        g["id"]
        for g in client.get("/api/v1/support-grants", headers=estate.auth("alder")).get_json()["items"]
    ] == [grant["id"]]
    assert client.get("/api/v1/support-grants", headers=estate.auth("birch")).get_json()["items"] == []

    other = client.post(
        "/api/v1/support-grants/revoke", json={"grant_id": grant["id"]}, headers=estate.auth("birch")
    )
    assert other.status_code == 422
    revoked = client.post(
        "/api/v1/support-grants/revoke", json={"grant_id": grant["id"]}, headers=estate.auth("alder")
    )
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    again = client.post(
        "/api/v1/support-grants/revoke", json={"grant_id": grant["id"]}, headers=estate.auth("alder")
    )
    assert again.status_code == 422


def test_grant_refuses_bad_input_and_company_staff(client, estate):
    for body in ({"agent_name": "Priya Desai"}, {"agent_name": "P", "purpose": "Help", "days": 31}):
        response = client.post("/api/v1/support-grants", json=body, headers=estate.auth("alder"))
        assert response.status_code == 422, body
    staff = client.post(
        "/api/v1/support-grants",
        json={"agent_name": "P", "purpose": "Help"},
        headers=estate.auth("caseworker"),
    )
    assert staff.status_code == 403


def test_a_grant_given_over_the_api_is_used_then_refused_once_revoked(client, estate, db_session):
    pupil = factories.pupil(
        db_session, estate.alder, "Ada", "Lovelace", date(2015, 1, 2), factories.make_upn(7)
    )
    db_session.commit()
    agent = make_user("priya.desai@rightsdesk.example", Role.CASEWORKER, name="Priya Desai")
    db_session.commit()
    made = client.post(
        "/api/v1/support-grants",
        json={"agent_name": "Priya Desai", "purpose": "A mark will not save.", "days": 1},
        headers=estate.auth("alder"),
    ).get_json()
    grant = db_session.get(SupportAccessGrant, uuid.UUID(made["id"]))
    entry = support_access.use(grant, agent, person_kind="pupil", person_id=pupil.id, area="Pupil record")
    db_session.commit()
    logged = db_session.scalars(select(AccessLogEntry).where(AccessLogEntry.grant_id == grant.id)).all()
    assert [row.id for row in logged] == [entry.id] and logged[0].actor_kind == "support_agent"

    client.post("/api/v1/support-grants/revoke", json={"grant_id": made["id"]}, headers=estate.auth("alder"))
    db_session.expire_all()
    with pytest.raises(support_access.GrantRefused, match="withdrew"):
        support_access.use(grant, agent, person_kind="pupil", person_id=pupil.id, area="Pupil record")
