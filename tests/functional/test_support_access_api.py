"""Support-access grants over the API: a school user gives one (seven days
by default), lists and withdraws it; the support tooling records each use
under it, refused (409, nothing logged) once it no longer covers the look;
other schools see none of it."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.audit.models import AuditEvent
from app.extensions import db
from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from tests.unit.api.estate import build_estate, make_user
from tests.unit.sources import factories

AGENT_EMAIL = "priya.desai@rightsdesk.example"


@pytest.fixture
def estate(db_session):
    built = build_estate()
    built.pupil = factories.pupil(
        db_session, built.alder, "Ada", "Lovelace", date(2015, 1, 2), factories.make_upn(7)
    )
    built.birch_pupil = factories.pupil(
        db_session, built.birch_primary, "Bea", "Byron", date(2015, 3, 4), factories.make_upn(8)
    )
    agent = make_user(AGENT_EMAIL, Role.CASEWORKER, name="Priya Desai")
    built.secrets["agent"] = issue_token(agent, name="support tooling", days=30, actor=agent).secret
    built.users["agent"] = agent
    db_session.commit()
    return built


def _give(client, estate, who="alder", **changes):
    body = {"agent_email": AGENT_EMAIL, "purpose": "The register stops on one mark.", **changes}
    made = client.post("/api/v1/support-grants", json=body, headers=estate.auth(who))
    assert made.status_code == 201, made.text
    return made.get_json()


def _use(client, estate, given, looked_at, who="agent", **changes):
    body = {
        "grant_id": given,
        "person_kind": "pupil",
        "person_id": str(looked_at),
        "area": "Pupil record",
        "action": "view",
        **changes,
    }
    return client.post("/api/v1/support-grants/uses", json=body, headers=estate.auth(who))


def test_school_user_grants_lists_and_revokes(client, estate):
    grant = _give(client, estate, agent_email=None, agent_name="Priya Desai")
    granted, expires = (datetime.fromisoformat(grant[k]) for k in ("granted_at", "expires_at"))
    assert expires - granted == timedelta(days=7) and grant["state"] == "active"
    assert grant["organisation_id"] == str(estate.alder.id)

    listed = client.get("/api/v1/support-grants", headers=estate.auth("alder")).get_json()
    assert [g["id"] for g in listed["items"]] == [grant["id"]]
    assert (listed["page"], listed["per_page"], listed["total"], listed["pages"]) == (1, 20, 1, 1)
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


def test_grant_names_the_agent_by_their_staff_email(client, estate):
    grant = _give(client, estate)
    assert grant["agent_name"] == "Priya Desai"
    unknown = client.post(
        "/api/v1/support-grants",
        json={"agent_email": "nobody@rightsdesk.example", "purpose": "Help"},
        headers=estate.auth("alder"),
    )
    assert unknown.status_code == 422 and "agent_email" in unknown.get_json()["error"]["fields"]


def test_grant_refuses_bad_input_and_company_staff(client, estate):
    for body in (
        {"agent_name": "Priya Desai"},
        {"agent_name": "P", "purpose": "Help", "days": 31},
        {"purpose": "Help"},
        {"agent_email": "not an email", "purpose": "Help"},
    ):
        response = client.post("/api/v1/support-grants", json=body, headers=estate.auth("alder"))
        assert response.status_code == 422, body
    staff = client.post(
        "/api/v1/support-grants",
        json={"agent_name": "P", "purpose": "Help"},
        headers=estate.auth("caseworker"),
    )
    assert staff.status_code == 403


def test_use_is_recorded_in_the_access_log_and_listed_for_the_school(client, estate):
    grant = _give(client, estate)
    used = _use(client, estate, grant["id"], estate.pupil.id)
    assert used.status_code == 201, used.text
    shown = used.get_json()
    assert set(shown) == {
        "id", "grant_id", "organisation_id", "occurred_at", "person_kind", "person_id", "action", "area",
    }  # fmt: skip
    assert shown["grant_id"] == grant["id"] and shown["person_id"] == str(estate.pupil.id)
    logged = db.session.get(AccessLogEntry, uuid.UUID(shown["id"]))
    assert logged.actor_kind == "support_agent" and logged.actor_email == AGENT_EMAIL
    assert logged.grant_id == uuid.UUID(grant["id"])

    second = _use(client, estate, grant["id"], estate.pupil.id, action="print", area="Attendance")
    assert second.status_code == 201
    listed = client.get(f"/api/v1/support-grants/uses?grant_id={grant['id']}", headers=estate.auth("alder"))
    assert listed.status_code == 200
    page = listed.get_json()
    assert page["total"] == 2 and [u["id"] for u in page["items"]] == [second.get_json()["id"], shown["id"]]
    one = client.get(
        f"/api/v1/support-grants/uses?grant_id={grant['id']}&per_page=1&page=2", headers=estate.auth("alder")
    ).get_json()
    assert [u["id"] for u in one["items"]] == [shown["id"]] and one["pages"] == 2
    assert db.session.scalars(
        select(AuditEvent.id).where(AuditEvent.action == "support_access.uses_viewed")
    ).all()


def test_uses_are_listed_only_for_the_grants_organisations(client, estate):
    grant = _give(client, estate)
    theirs = _give(client, estate, who="birch")
    assert _use(client, estate, grant["id"], estate.pupil.id).status_code == 201
    assert _use(client, estate, theirs["id"], estate.birch_pupil.id).status_code == 201

    def listed(who, query=""):
        return client.get(f"/api/v1/support-grants/uses{query}", headers=estate.auth(who))

    assert [u["grant_id"] for u in listed("alder").get_json()["items"]] == [grant["id"]]
    assert [u["grant_id"] for u in listed("trust").get_json()["items"]] == [theirs["id"]]  # its school's
    assert listed("caseworker").get_json()["total"] == 2
    for who in ("birch", "trust"):
        filtered = listed(who, f"?grant_id={grant['id']}")
        assert filtered.status_code == 200 and filtered.get_json()["items"] == []
    assert listed("alder", f"?grant_id={uuid.uuid4()}").get_json()["total"] == 0
    assert listed("alder", "?grant_id=nope").status_code == 422


def test_use_of_a_revoked_grant_is_refused_with_409(client, estate):
    grant = _give(client, estate)
    client.post("/api/v1/support-grants/revoke", json={"grant_id": grant["id"]}, headers=estate.auth("alder"))
    refused = _use(client, estate, grant["id"], estate.pupil.id)
    assert refused.status_code == 409 and "withdrew" in refused.get_json()["error"]["message"]
    assert db.session.scalar(select(AccessLogEntry.id)) is None


@pytest.mark.parametrize(
    ("shift", "message"),
    [(timedelta(days=-2), "expired"), (timedelta(days=1), "does not start yet")],
    ids=["expired", "not_yet_valid"],
)
def test_use_outside_the_grants_period_is_refused_with_409(client, estate, shift, message):
    grant = _give(client, estate, days=1)
    stored = db.session.get(SupportAccessGrant, uuid.UUID(grant["id"]))
    # Move the one-day grant into the past (over) or the future (not begun).
    stored.granted_at += shift
    stored.expires_at += shift
    db.session.commit()
    refused = _use(client, estate, grant["id"], estate.pupil.id)
    assert refused.status_code == 409 and message in refused.get_json()["error"]["message"]
    assert refused.get_json()["error"]["code"] == "grant_refused"
    assert db.session.scalar(select(AccessLogEntry.id)) is None


def test_use_on_another_organisations_record_or_by_another_agent_is_refused(client, estate):
    grant = _give(client, estate)
    wrong_school = _use(client, estate, grant["id"], estate.birch_pupil.id)
    assert wrong_school.status_code == 409
    assert "not one of the organisation" in wrong_school.get_json()["error"]["message"]
    other_agent = _use(client, estate, grant["id"], estate.pupil.id, who="caseworker")
    assert other_agent.status_code == 409 and "another member" in other_agent.get_json()["error"]["message"]
    assert db.session.scalar(select(AccessLogEntry.id)) is None


def test_use_refuses_school_users_and_bad_input(client, estate):
    grant = _give(client, estate)
    assert _use(client, estate, grant["id"], estate.pupil.id, who="alder").status_code == 403
    for changes in (
        {"action": "update"},
        {"person_kind": "parent"},
        {"area": ""},
        {"person_id": "not-a-uuid"},
        {"grant_id": str(uuid.uuid4())},
    ):
        response = _use(client, estate, grant["id"], estate.pupil.id, **changes)
        assert response.status_code == 422, changes
    assert db.session.scalar(select(AccessLogEntry.id)) is None
