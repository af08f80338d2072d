"""The API and a public authority: an organisation says whether it is one
(read-only), and putting legitimate interests as its basis, or its school's
where the trust is one, is a 422 on ``basis`` (UK GDPR Art 6(1), last
sentence), as the OpenAPI document says."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.register.models import LawfulBasis, OrganisationBasis
from tests.functional.test_organisation_bases_api import _bases, _entry, _path
from tests.signin import make_organisation
from tests.unit.api.estate import Estate, build_estate

INTERESTS = "Legitimate interests (UK GDPR Art 6(1)(f)): to care for the child safely."
BODY = {"basis": "legitimate_interests", "lawful_basis": INTERESTS}


@pytest.fixture
def estate(db_session) -> Estate:
    return build_estate()


def test_put_is_422_on_basis_when_a_state_school_chooses_legitimate_interests(client, estate):
    response = client.put(_path(estate.alder.id, _entry()), json=BODY, headers=estate.auth("admin"))
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"basis"}
    [message] = fields["basis"]
    assert message.startswith("Alder Academy is a public authority")
    assert "UK GDPR Article 6(1), last sentence" in message and "public task (Article 6(1)(e))" in message
    assert _bases() == []


@pytest.mark.parametrize("who", ["birch_trust", "birch_prep"])
def test_put_is_422_on_basis_at_a_public_authority_trust_and_its_schools(client, estate, who):
    # An independent school in the trust inherits the trust's basis.
    prep = make_organisation("Birch Prep", "school", estate.birch_trust, public_authority="no")
    db.session.commit()
    organisation = estate.birch_trust if who == "birch_trust" else prep
    response = client.put(_path(organisation.id, _entry()), json=BODY, headers=estate.auth("admin"))
    assert response.status_code == 422
    [message] = response.get_json()["error"]["fields"]["basis"]
    assert "Birch Learning Trust, is a public authority" in message or message.startswith(
        "Birch Learning Trust is"
    )
    assert _bases() == []


def test_put_sets_legitimate_interests_at_a_private_nursery(client, estate):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    db.session.commit()
    response = client.put(_path(nursery.id, _entry()), json=BODY, headers=estate.auth("admin"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["basis"] == "legitimate_interests"
    db.session.expire_all()
    stored = db.session.scalars(select(OrganisationBasis)).one()
    assert stored.organisation_id == nursery.id and stored.basis is LawfulBasis.LEGITIMATE_INTERESTS


def test_organisation_says_whether_it_is_a_public_authority(client, estate):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    db.session.commit()
    school = client.get(f"/api/v1/organisations/{estate.alder.id}", headers=estate.auth("alder"))
    assert school.status_code == 200 and school.get_json()["public_authority"] is True
    private = client.get(f"/api/v1/organisations/{nursery.id}", headers=estate.auth("admin"))
    assert private.get_json()["public_authority"] is False
    listed = client.get("/api/v1/organisations", headers=estate.auth("trust")).get_json()["items"]
    assert {item["name"]: item["public_authority"] for item in listed} == {
        "Birch Learning Trust": True,
        "Birch Primary": True,
    }


def test_openapi_documents_the_flag_and_the_refusal_when_read(client):
    document = client.get("/api/v1/openapi.json").get_json()
    flag = document["components"]["schemas"]["Organisation"]["properties"]["public_authority"]
    assert flag["type"] == "boolean" and "Art 6(1), last sentence" in flag["description"]
    assert "public_authority" in document["components"]["schemas"]["Organisation"]["required"]
    put = document["paths"]["/organisations/{organisation_id}/bases/{entry_id}"]["put"]
    assert "legitimate_interests" in put["description"] and "public authority" in put["description"]
    assert "422" in put["responses"]
