"""Organisations over the API: scoped lists with paging, 404 outside scope."""

import pytest

from tests.unit.api.estate import build_estate, make_organisation


@pytest.fixture
def estate(db_session):
    return build_estate()


def _names(client, estate, who, query=""):
    response = client.get(f"/api/v1/organisations{query}", headers=estate.auth(who))
    assert response.status_code == 200
    return [item["name"] for item in response.get_json()["items"]]


def test_school_user_sees_only_own_organisation(client, estate):
    assert _names(client, estate, "alder") == ["Alder Academy"]
    assert _names(client, estate, "birch") == ["Birch Primary"]


def test_trust_user_sees_trust_and_its_schools(client, estate):
    assert _names(client, estate, "trust") == ["Birch Learning Trust", "Birch Primary"]


def test_company_staff_see_every_organisation(client, estate):
    expected = ["Alder Academy", "Birch Learning Trust", "Birch Primary"]
    assert _names(client, estate, "admin") == expected
    assert _names(client, estate, "caseworker") == expected


def test_organisation_in_scope_is_returned_in_full(client, estate):
    response = client.get(f"/api/v1/organisations/{estate.birch_primary.id}", headers=estate.auth("trust"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == str(estate.birch_primary.id)
    assert body["kind"] == "school" and body["nation"] == "england"
    assert body["trust_id"] == str(estate.birch_trust.id)
    assert body["contract_start"] == "2024-09-01" and body["contract_end"] is None


@pytest.mark.parametrize(
    ("who", "target"),
    [("alder", "birch_primary"), ("alder", "birch_trust"), ("birch", "birch_trust"), ("birch", "alder")],
)
def test_organisation_outside_scope_is_404(client, estate, who, target):
    organisation = getattr(estate, target)
    response = client.get(f"/api/v1/organisations/{organisation.id}", headers=estate.auth(who))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert organisation.name not in response.get_data(as_text=True)


def test_missing_organisation_is_404_like_one_outside_scope(client, estate):
    import uuid

    missing = client.get(f"/api/v1/organisations/{uuid.uuid4()}", headers=estate.auth("alder"))
    hidden = client.get(f"/api/v1/organisations/{estate.birch_primary.id}", headers=estate.auth("alder"))
    assert missing.status_code == hidden.status_code == 404
    assert missing.get_json() == hidden.get_json()


def test_organisations_are_paged(client, estate, db_session):
    for index in range(4):
        make_organisation(f"Cedar School {index}")
    db_session.commit()
    response = client.get("/api/v1/organisations?page=2&per_page=3", headers=estate.auth("admin"))
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (2, 3, 7, 3)
    assert [item["name"] for item in body["items"]] == ["Cedar School 0", "Cedar School 1", "Cedar School 2"]


def test_page_past_the_end_is_empty(client, estate):
    body = client.get("/api/v1/organisations?page=50", headers=estate.auth("admin")).get_json()
    assert body["items"] == [] and body["total"] == 3 and body["pages"] == 1


def test_paging_totals_count_only_what_is_in_scope(client, estate):
    body = client.get("/api/v1/organisations?per_page=1", headers=estate.auth("alder")).get_json()
    assert body["total"] == 1 and body["pages"] == 1
