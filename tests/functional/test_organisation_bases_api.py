"""``/api/v1/organisations/{id}/bases``: the basis of each register category
at an organisation, read by whoever sees it, set and cleared by admins."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.register.bases import set_basis
from app.register.models import LawfulBasis, OrganisationBasis, RegisterEntry
from tests.unit.api.estate import Estate, build_estate

TRUST_WORDING = "Legal obligation (UK GDPR Art 6(1)(c)): the trust's duty to keep attendance registers."
OWN_WORDING = "Contract (UK GDPR Art 6(1)(b)): the school's contract with the parents."


@pytest.fixture
def estate(db_session) -> Estate:
    return build_estate()


def _entry(category: str = "attendance") -> RegisterEntry:
    return db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == "pupils", RegisterEntry.category == category)
    ).one()


def _path(organisation_id: uuid.UUID, entry: RegisterEntry | None = None) -> str:
    base = f"/api/v1/organisations/{organisation_id}/bases"
    return f"{base}/{entry.id}" if entry is not None else base


def _bases() -> list[OrganisationBasis]:
    db.session.expire_all()
    return list(db.session.scalars(select(OrganisationBasis)))


def _items_by_category(response) -> dict[str, dict]:
    assert response.status_code == 200, response.get_json()
    return {item["category"]: item for item in response.get_json()["items"] if item["source"] == "pupils"}


@pytest.mark.parametrize("who", ["admin", "caseworker", "trust", "birch"])
def test_list_shows_where_each_basis_comes_from_for_every_role_that_sees_the_school(client, estate, who):
    set_basis(
        estate.birch_trust,
        _entry(),
        {"basis": "legal_obligation", "lawful_basis": TRUST_WORDING},
        estate.users["admin"],
    )
    set_basis(
        estate.birch_primary,
        _entry("assessment"),
        {"basis": "contract", "lawful_basis": OWN_WORDING},
        estate.users["admin"],
    )
    db.session.commit()
    items = _items_by_category(client.get(_path(estate.birch_primary.id), headers=estate.auth(who)))
    assert items["attendance"] | {"register_entry_id": None} == {
        "register_entry_id": None,
        "source": "pupils",
        "category": "attendance",
        "title": "Attendance",
        "basis": "legal_obligation",
        "lawful_basis": TRUST_WORDING,
        "set_by": "trust",
        "set_by_organisation_id": str(estate.birch_trust.id),
    }
    assert items["attendance"]["register_entry_id"] == str(_entry().id)
    assert items["assessment"]["set_by"] == "organisation" and items["assessment"]["basis"] == "contract"
    assert items["assessment"]["set_by_organisation_id"] == str(estate.birch_primary.id)
    assert items["identity"]["set_by"] == "register" and items["identity"]["set_by_organisation_id"] is None


def test_put_sets_the_organisations_own_basis_when_admin(client, estate):
    response = client.put(
        _path(estate.alder.id, _entry()),
        json={"basis": "contract", "lawful_basis": OWN_WORDING},
        headers=estate.auth("admin"),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["basis"] == "contract" and body["lawful_basis"] == OWN_WORDING
    assert body["set_by"] == "organisation" and body["set_by_organisation_id"] == str(estate.alder.id)
    [stored] = _bases()
    assert stored.organisation_id == estate.alder.id and stored.basis is LawfulBasis.CONTRACT
    listed = _items_by_category(client.get(_path(estate.alder.id), headers=estate.auth("alder")))
    assert listed["attendance"]["set_by"] == "organisation"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lawful_basis": OWN_WORDING}, "basis"),
        ({"basis": "contract"}, "lawful_basis"),
        ({"basis": "because", "lawful_basis": OWN_WORDING}, "basis"),
        ({"basis": "contract", "lawful_basis": "   "}, "lawful_basis"),
        ({"basis": "contract", "lawful_basis": 5}, "lawful_basis"),
        ({"basis": "contract", "lawful_basis": "x" * 2001}, "lawful_basis"),
        ({"basis": "contract", "lawful_basis": OWN_WORDING, "note": "x"}, "note"),
    ],
)
def test_put_is_422_by_field_when_the_body_is_invalid(client, estate, body, field):
    response = client.put(_path(estate.alder.id, _entry()), json=body, headers=estate.auth("admin"))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert _bases() == []


def test_put_is_422_with_the_registers_message_when_the_wording_cites_another_basis(client, estate):
    response = client.put(
        _path(estate.alder.id, _entry()),
        json={"basis": "consent", "lawful_basis": OWN_WORDING},
        headers=estate.auth("admin"),
    )
    assert response.status_code == 422
    [message] = response.get_json()["error"]["fields"]["lawful_basis"]
    assert "gives Article 6(1)(b)" in message and "Consent (Article 6(1)(a))" in message
    assert _bases() == []


@pytest.mark.parametrize("who", ["caseworker", "alder", "trust"])
def test_put_and_delete_are_403_when_not_an_admin(client, estate, who):
    set_basis(
        estate.alder, _entry(), {"basis": "contract", "lawful_basis": OWN_WORDING}, estate.users["admin"]
    )
    db.session.commit()
    path = _path(estate.alder.id, _entry())
    body = {"basis": "consent", "lawful_basis": "Consent of the parents."}
    assert client.put(path, json=body, headers=estate.auth(who)).status_code == 403
    assert client.delete(path, headers=estate.auth(who)).status_code == 403
    [kept] = _bases()
    assert kept.basis is LawfulBasis.CONTRACT


def test_bases_are_404_when_the_organisation_is_out_of_scope_or_unknown(client, estate):
    entry = _entry()
    assert client.get(_path(estate.birch_primary.id), headers=estate.auth("alder")).status_code == 404
    assert client.get(_path(estate.alder.id), headers=estate.auth("birch")).status_code == 404
    assert client.get(_path(uuid.uuid4()), headers=estate.auth("admin")).status_code == 404
    body = {"basis": "contract", "lawful_basis": OWN_WORDING}
    assert client.put(_path(uuid.uuid4(), entry), json=body, headers=estate.auth("admin")).status_code == 404
    assert client.delete(_path(uuid.uuid4(), entry), headers=estate.auth("admin")).status_code == 404
    unknown_entry = f"{_path(estate.alder.id)}/{uuid.uuid4()}"
    assert client.put(unknown_entry, json=body, headers=estate.auth("admin")).status_code == 404
    assert client.delete(unknown_entry, headers=estate.auth("admin")).status_code == 404
    assert _bases() == []


def test_delete_goes_back_to_the_trusts_basis_and_is_idempotent(client, estate):
    admin = estate.users["admin"]
    set_basis(
        estate.birch_trust, _entry(), {"basis": "legal_obligation", "lawful_basis": TRUST_WORDING}, admin
    )
    set_basis(estate.birch_primary, _entry(), {"basis": "contract", "lawful_basis": OWN_WORDING}, admin)
    db.session.commit()
    path = _path(estate.birch_primary.id, _entry())
    first = client.delete(path, headers=estate.auth("admin"))
    assert first.status_code == 204 and first.get_data() == b""
    assert [row.organisation_id for row in _bases()] == [estate.birch_trust.id]
    listed = _items_by_category(client.get(_path(estate.birch_primary.id), headers=estate.auth("birch")))
    assert listed["attendance"]["set_by"] == "trust" and listed["attendance"]["basis"] == "legal_obligation"
    assert client.delete(path, headers=estate.auth("admin")).status_code == 204
    assert len(_bases()) == 1


def test_put_stores_nothing_and_answers_the_trusts_basis_when_the_body_equals_it(client, estate):
    admin = estate.users["admin"]
    set_basis(
        estate.birch_trust, _entry(), {"basis": "legal_obligation", "lawful_basis": TRUST_WORDING}, admin
    )
    db.session.commit()
    response = client.put(
        _path(estate.birch_primary.id, _entry()),
        json={"basis": "legal_obligation", "lawful_basis": TRUST_WORDING},
        headers=estate.auth("admin"),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["set_by"] == "trust" and body["set_by_organisation_id"] == str(estate.birch_trust.id)
    assert body["basis"] == "legal_obligation" and body["lawful_basis"] == TRUST_WORDING
    assert [row.organisation_id for row in _bases()] == [estate.birch_trust.id]


def test_put_stores_nothing_and_answers_the_registers_basis_when_the_body_equals_it(client, estate):
    entry = _entry()
    response = client.put(
        _path(estate.alder.id, entry),
        json={"basis": entry.basis.value, "lawful_basis": entry.lawful_basis},
        headers=estate.auth("admin"),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["set_by"] == "register" and body["set_by_organisation_id"] is None
    assert _bases() == []


def test_put_clears_the_schools_own_basis_when_the_body_equals_the_trusts(client, estate):
    admin = estate.users["admin"]
    set_basis(estate.birch_primary, _entry(), {"basis": "contract", "lawful_basis": OWN_WORDING}, admin)
    set_basis(estate.birch_trust, _entry(), {"basis": "contract", "lawful_basis": OWN_WORDING}, admin)
    db.session.commit()
    response = client.put(
        _path(estate.birch_primary.id, _entry()),
        json={"basis": "contract", "lawful_basis": OWN_WORDING},
        headers=estate.auth("admin"),
    )
    assert response.status_code == 200 and response.get_json()["set_by"] == "trust"
    assert [row.organisation_id for row in _bases()] == [estate.birch_trust.id]
