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
