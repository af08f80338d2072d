"""Managing API tokens over the API: create (secret once), list own, revoke."""

import uuid

import pytest
from sqlalchemy import select

from app.api.models import ApiToken
from app.audit.models import AuditEvent
from tests.unit.api.estate import build_estate


@pytest.fixture
def estate(db_session):
    return build_estate()


def test_create_token_returns_secret_once_and_it_works(client, estate, db_session):
    response = client.post(
        "/api/v1/tokens", json={"name": "nightly export", "expires_in_days": 30}, headers=estate.auth("alder")
    )
    assert response.status_code == 201
    created = response.get_json()
    secret = created["token"]
    assert secret.startswith(created["prefix"] + "_")
    assert created["name"] == "nightly export" and created["user_id"] == str(estate.users["alder"].id)
    assert created["revoked_at"] is None
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.get_json()["id"] == str(estate.users["alder"].id)
    listed = client.get("/api/v1/tokens", headers=estate.auth("alder")).get_data(as_text=True)
    assert secret not in listed and created["id"] in listed
    row = db_session.get(ApiToken, uuid.UUID(created["id"]))
    assert secret not in (row.token_hash, row.prefix, row.name)


def test_create_token_is_audited(client, estate, db_session):
    created = client.post("/api/v1/tokens", json={"name": "x"}, headers=estate.auth("alder")).get_json()
    event = db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "api_token.created", AuditEvent.object_id == uuid.UUID(created["id"])
        )
    )
    assert event.actor_id == estate.users["alder"].id
    assert event.data == {
        "user_id": str(estate.users["alder"].id),
        "expires_at": event.data["expires_at"],
        "via": "api",
    }


def test_list_tokens_shows_only_own(client, estate):
    body = client.get("/api/v1/tokens", headers=estate.auth("alder")).get_json()
    assert [item["id"] for item in body["items"]] == [str(estate.tokens["alder"].id)]
    admin = client.get("/api/v1/tokens", headers=estate.auth("admin")).get_json()
    assert [item["id"] for item in admin["items"]] == [str(estate.tokens["admin"].id)]


def test_revoke_own_token_stops_it_at_once(client, estate):
    token_id = estate.tokens["alder"].id
    response = client.delete(f"/api/v1/tokens/{token_id}", headers=estate.auth("alder"))
    assert response.status_code == 200
    assert response.get_json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=estate.auth("alder")).status_code == 401


def test_revoked_token_is_gone_from_the_api_and_audited_once(client, estate, db_session):
    spare = client.post("/api/v1/tokens", json={"name": "spare"}, headers=estate.auth("alder")).get_json()
    url = f"/api/v1/tokens/{spare['id']}"
    assert client.delete(url, headers=estate.auth("alder")).get_json()["revoked_at"] is not None
    assert client.delete(url, headers=estate.auth("alder")).status_code == 404
    assert client.get(url, headers=estate.auth("alder")).status_code == 404
    listed = client.get("/api/v1/tokens", headers=estate.auth("alder")).get_json()["items"]
    assert spare["id"] not in [item["id"] for item in listed]
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "api_token.revoked", AuditEvent.object_id == uuid.UUID(spare["id"])
        )
    ).all()
    assert len(events) == 1 and events[0].actor_id == estate.users["alder"].id


@pytest.mark.parametrize("who", ["alder", "trust", "caseworker"])
def test_revoking_someone_elses_token_is_404_and_changes_nothing(client, estate, db_session, who):
    target = estate.tokens["birch"]
    response = client.delete(f"/api/v1/tokens/{target.id}", headers=estate.auth(who))
    assert response.status_code == 404
    db_session.expire_all()
    assert target.revoked_at is None
    assert client.get(f"/api/v1/tokens/{target.id}", headers=estate.auth(who)).status_code == 404


def test_admin_may_see_and_revoke_anyones_token(client, estate):
    target = estate.tokens["birch"]
    assert client.get(f"/api/v1/tokens/{target.id}", headers=estate.auth("admin")).status_code == 200
    response = client.delete(f"/api/v1/tokens/{target.id}", headers=estate.auth("admin"))
    assert response.status_code == 200
    assert client.get("/api/v1/me", headers=estate.auth("birch")).status_code == 401


def test_revoking_unknown_token_is_404(client, estate):
    assert client.delete(f"/api/v1/tokens/{uuid.uuid4()}", headers=estate.auth("admin")).status_code == 404


def test_create_token_lifetime_is_bounded(client, estate):
    response = client.post(
        "/api/v1/tokens", json={"name": "x", "expires_in_days": 366}, headers=estate.auth("alder")
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"expires_in_days": ["Must be between 1 and 365."]}
