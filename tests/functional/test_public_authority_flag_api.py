"""``PATCH /api/v1/organisations/{id}``: an administrator says whether an
organisation is a public authority, refused with a 422 on
``public_authority`` while legitimate interests is in effect there; the
basis and register operations refuse what would put legitimate interests
in effect at a public authority (UK GDPR Art 6(1), last sentence); the
OpenAPI document says so."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.orgs.models import Organisation
from app.register.bases import set_basis
from app.register.models import LawfulBasis
from tests.functional.test_organisation_bases_api import _entry, _path
from tests.signin import make_organisation
from tests.unit.api.estate import Estate, build_estate

INTERESTS = "Legitimate interests (UK GDPR Art 6(1)(f)): to care for the child safely."
PUBLIC_TASK = "Public task (UK GDPR Art 6(1)(e)): the school's functions as a school."


@pytest.fixture
def estate(db_session) -> Estate:
    return build_estate()


def _organisation(organisation_id: uuid.UUID) -> str:
    return f"/api/v1/organisations/{organisation_id}"


def _set(estate: Estate, organisation: Organisation, category: str, basis: str, wording: str) -> None:
    set_basis(
        organisation, _entry(category), {"basis": basis, "lawful_basis": wording}, estate.users["admin"]
    )
    db.session.commit()


def _flag(organisation: Organisation) -> bool:
    db.session.expire_all()
    return db.session.get(Organisation, organisation.id).public_authority


def _events() -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "organisation.public_authority_set"))
    )


def test_patch_changes_the_flag_and_audits_old_and_new(client, estate):
    response = client.patch(
        _organisation(estate.alder.id), json={"public_authority": False}, headers=estate.auth("admin")
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["public_authority"] is False and response.get_json()["name"] == "Alder Academy"
    assert _flag(estate.alder) is False
    [event] = _events()
    assert event.object_id == estate.alder.id and event.actor_id == estate.users["admin"].id
    assert event.data == {"field": "public_authority", "old": True, "new": False}
    back = client.patch(
        _organisation(estate.alder.id), json={"public_authority": True}, headers=estate.auth("admin")
    )
    assert back.status_code == 200 and _flag(estate.alder) is True and len(_events()) == 2


def test_patch_changes_nothing_when_empty_or_the_same(client, estate):
    for body in ({}, {"public_authority": True}):
        response = client.patch(_organisation(estate.alder.id), json=body, headers=estate.auth("admin"))
        assert response.status_code == 200 and response.get_json()["public_authority"] is True
    assert _events() == []


def test_patch_is_422_on_public_authority_naming_the_categories_with_legitimate_interests(client, estate):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    db.session.commit()
    _set(estate, nursery, "identity", "legitimate_interests", INTERESTS)
    _set(estate, nursery, "enrolment", "legitimate_interests", INTERESTS)
    response = client.patch(
        _organisation(nursery.id), json={"public_authority": True}, headers=estate.auth("admin")
    )
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"public_authority"}
    [message] = fields["public_authority"]
    assert message.startswith(
        "Little Acorns Nursery cannot be made a public authority while legitimate interests (Article "
        "6(1)(f)) is its own basis for Enrolment, Pupil identity and contact details."
    )
    assert "UK GDPR Article 6(1), last sentence" in message and "change those bases first" in message
    assert _flag(nursery) is False and _events() == []


def test_patch_is_422_for_a_trust_whose_school_has_legitimate_interests_of_its_own(client, estate):
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    prep = make_organisation("Hazel Prep", "school", trust, public_authority="no")
    db.session.commit()
    _set(estate, prep, "identity", "legitimate_interests", INTERESTS)
    response = client.patch(
        _organisation(trust.id), json={"public_authority": True}, headers=estate.auth("admin")
    )
    assert response.status_code == 422
    [message] = response.get_json()["error"]["fields"]["public_authority"]
    assert "the own basis of its school Hazel Prep for Pupil identity and contact details" in message


@pytest.mark.parametrize("body", [{"public_authority": "yes"}, {"public_authority": None}, {"kind": "trust"}])
def test_patch_is_422_on_a_field_it_cannot_take(client, estate, body):
    response = client.patch(_organisation(estate.alder.id), json=body, headers=estate.auth("admin"))
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == set(body)
    assert _flag(estate.alder) is True


@pytest.mark.parametrize("who", ["caseworker", "alder"])
def test_patch_is_403_for_those_who_cannot_set_bases(client, estate, who):
    response = client.patch(
        _organisation(estate.alder.id), json={"public_authority": False}, headers=estate.auth(who)
    )
    assert response.status_code == 403 and _flag(estate.alder) is True


def test_patch_is_404_for_an_unknown_organisation(client, estate):
    response = client.patch(
        _organisation(uuid.uuid4()), json={"public_authority": False}, headers=estate.auth("admin")
    )
    assert response.status_code == 404


def test_put_is_422_naming_the_schools_when_a_private_trust_chooses_legitimate_interests(client, estate):
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    make_organisation("Hazel Primary", "school", trust)
    db.session.commit()
    response = client.put(
        _path(trust.id, _entry("identity")),
        json={"basis": "legitimate_interests", "lawful_basis": INTERESTS},
        headers=estate.auth("admin"),
    )
    assert response.status_code == 422
    [message] = response.get_json()["error"]["fields"]["basis"]
    assert (
        message.startswith("These schools of Hazel Schools are public authorities")
        and "Hazel Primary" in message
    )


def test_delete_is_409_when_it_would_put_the_trusts_legitimate_interests_in_effect(client, estate):
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    primary = make_organisation("Hazel Primary", "school", trust)
    db.session.commit()
    _set(estate, primary, "identity", "public_task", PUBLIC_TASK)
    _set(estate, trust, "identity", "legitimate_interests", INTERESTS)
    response = client.delete(_path(primary.id, _entry("identity")), headers=estate.auth("admin"))
    assert response.status_code == 409
    message = response.get_json()["error"]["message"]
    assert message.startswith("Hazel Primary is a public authority, and its trust's basis for this category")
    listed = client.get(_path(primary.id), headers=estate.auth("admin")).get_json()["items"]
    [identity] = [item for item in listed if (item["source"], item["category"]) == ("pupils", "identity")]
    assert identity["set_by"] == "organisation" and identity["basis"] == "public_task"


def test_register_patch_is_422_while_public_authorities_take_its_basis(client, estate):
    entry = _entry("identity")
    response = client.patch(
        f"/api/v1/register/{entry.id}",
        json={"basis": "legitimate_interests", "lawful_basis": INTERESTS},
        headers=estate.auth("admin"),
    )
    assert response.status_code == 422
    [message] = response.get_json()["error"]["fields"]["basis"]
    assert message.startswith("Legitimate interests cannot be the register's basis for this category")
    assert "Alder Academy, Birch Learning Trust, Birch Primary" in message
    db.session.expire_all()
    assert _entry("identity").basis is LawfulBasis.PUBLIC_TASK


def test_openapi_documents_the_change_and_its_refusals(client):
    document = client.get("/api/v1/openapi.json").get_json()
    patch = document["paths"]["/organisations/{organisation_id}"]["patch"]
    assert {"403", "404", "422"} <= set(patch["responses"]) and "Roles: admin." in patch["description"]
    assert "422" in patch["description"] and "`public_authority`" in patch["description"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    flag = document["components"]["schemas"][body]["properties"]["public_authority"]
    assert flag["type"] == "boolean" and "422 on public_authority" in flag["description"]
    assert document["components"]["schemas"][body]["additionalProperties"] is False
    assert (
        "read-only"
        not in document["components"]["schemas"]["Organisation"]["properties"]["public_authority"][
            "description"
        ]
    )
    delete = document["paths"]["/organisations/{organisation_id}/bases/{entry_id}"]["delete"]
    assert "409" in delete["responses"] and "legitimate interests" in delete["description"]
    put = document["paths"]["/organisations/{organisation_id}/bases/{entry_id}"]["put"]
    assert "naming those schools" in put["description"]
