"""Staff accounts over the API: administrators only."""

import pytest

from tests.unit.api.estate import build_estate


@pytest.fixture
def estate(db_session):
    return build_estate()


def test_admin_lists_staff_accounts(client, estate):
    body = client.get("/api/v1/users?per_page=2", headers=estate.auth("admin")).get_json()
    assert body["total"] == 5 and body["pages"] == 3 and len(body["items"]) == 2
    emails = [item["email"] for item in body["items"]]
    assert emails == sorted(emails)
    assert all("password_hash" not in item for item in body["items"])


@pytest.mark.parametrize("who", ["caseworker", "alder", "trust", "birch"])
def test_other_roles_get_403(client, estate, who):
    response = client.get("/api/v1/users", headers=estate.auth(who))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert estate.users["admin"].email not in response.get_data(as_text=True)


def test_role_is_checked_before_input(client, estate):
    assert client.get("/api/v1/users?per_page=0", headers=estate.auth("alder")).status_code == 403


def _invite(client, estate, who="admin", **fields):
    body = {"email": "nia@example.org", "name": "Nia Newcomer", "role": "caseworker", **fields}
    return client.post("/api/v1/users", json=body, headers=estate.auth(who))


def test_admin_invites_a_member_of_staff_who_cannot_sign_in_until_they_accept(app, client, estate):
    from sqlalchemy import select

    from app.extensions import db
    from app.mail import OutboxMessage

    app.config["SMTP_URL"] = None  # the invitation stays in the outbox table
    response = _invite(client, estate, role="school", organisation_id=str(estate.alder.id))
    assert response.status_code == 201, response.text
    body = response.get_json()
    assert body["email"] == "nia@example.org" and body["role"] == "school" and body["is_active"] is False
    assert body["organisation_id"] == str(estate.alder.id) and body["rejoining"] is False
    assert body["invitation_expires_at"]
    invitations = select(OutboxMessage).where(OutboxMessage.category == "accounts.staff_invite")
    [mail] = db.session.scalars(invitations)
    assert mail.recipients == "nia@example.org" and "/console/invite/" in mail.text_body
    listed = client.get("/api/v1/users?per_page=100", headers=estate.auth("admin")).get_json()
    assert "nia@example.org" in {item["email"] for item in listed["items"]}

    withdrawn = client.delete(f"/api/v1/users/{body['id']}/invitation", headers=estate.auth("admin"))
    assert withdrawn.status_code == 204
    again = client.delete(f"/api/v1/users/{body['id']}/invitation", headers=estate.auth("admin"))
    assert again.status_code == 204  # withdrawing is idempotent
    active = estate.users["caseworker"].id
    gone = client.delete(f"/api/v1/users/{active}/invitation", headers=estate.auth("admin"))
    assert gone.status_code == 404


def test_invite_refusals_name_the_field(client, estate):
    taken = _invite(client, estate, email=estate.users["caseworker"].email.upper())
    assert taken.status_code == 422 and "already uses" in taken.get_json()["error"]["fields"]["email"][0]
    no_school = _invite(client, estate, role="school")
    assert no_school.status_code == 422 and "organisation_id" in no_school.get_json()["error"]["fields"]
    unknown = _invite(client, estate, role="school", organisation_id="00000000-0000-0000-0000-000000000001")
    assert unknown.status_code == 422 and "organisation_id" in unknown.get_json()["error"]["fields"]
    bad = _invite(client, estate, email="not an address", extra="x")
    assert bad.status_code == 422 and "extra" in bad.get_json()["error"]["fields"]


@pytest.mark.parametrize("who", ["caseworker", "alder"])
def test_only_admins_invite(client, estate, who):
    assert _invite(client, estate, who=who).status_code == 403
    assert client.delete(
        f"/api/v1/users/{estate.users['admin'].id}/invitation", headers=estate.auth(who)
    ).status_code == 403


def test_a_disabled_account_is_invited_back_over_the_api(app, client, estate):
    from app.accounts.services import disable_user
    from app.extensions import db

    app.config["SMTP_URL"] = None
    former = estate.users["caseworker"]
    disable_user(former)
    db.session.commit()
    response = _invite(client, estate, email=former.email, name="Back Again")
    assert response.status_code == 201, response.text
    body = response.get_json()
    assert body["id"] == str(former.id) and body["rejoining"] is True and body["name"] == "Back Again"
    # The old bearer token of that account is revoked.
    assert client.get("/api/v1/me", headers=estate.auth("caseworker")).status_code == 401
