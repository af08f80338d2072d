"""The portability destination through the public API: POST /api/v1/requests
takes the organisation's name and address with the web form's rules (201,
or 422 with a message on each field at fault), the OpenAPI document
describes both, and the case's representation shows them to staff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.cases.models import Case
from app.extensions import db
from app.portability.destination import MESSAGES
from tests.functional.test_api_requests import (
    URL,
    fields_of,
    good_body,
    school,  # noqa: F401 (fixture)
)
from tests.unit.api.estate import build_estate
from tests.unit.cases.factory import new_case

BIRCH = "Birch Academy"
BIRCH_EMAIL = "admissions@birch.sch.example"


def portability(school, **changes):  # noqa: F811
    values = {"request_type": "portability", "destination_name": BIRCH, "destination_email": BIRCH_EMAIL}
    return good_body(school, **{**values, **changes})


def stored() -> list[Case]:
    db.session.expire_all()
    return list(db.session.scalars(select(Case)))


def test_portability_request_with_a_destination_is_created_with_it(client, school):  # noqa: F811
    response = client.post(URL, json=portability(school))
    assert response.status_code == 201, response.get_data(as_text=True)
    [case] = stored()
    assert str(case.id) == response.get_json()["id"]
    assert (case.destination_name, case.destination_email) == (BIRCH, BIRCH_EMAIL)


def test_portability_request_without_a_destination_is_created_without_one(client, school):  # noqa: F811
    for body in (portability(school, destination_name=..., destination_email=...),
                 portability(school, destination_name=None, destination_email=None)):  # fmt: skip
        response = client.post(URL, json=body)
        assert response.status_code == 201, response.get_data(as_text=True)
    assert [(case.destination_name, case.destination_email) for case in stored()] == [(None, None)] * 2


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"request_type": "access"},
            {
                "destination_name": [MESSAGES["destination_name_type"]],
                "destination_email": [MESSAGES["destination_email_type"]],
            },
        ),
        (
            {"request_type": "objection", "destination_name": ..., "destination_email": "nope"},
            {"destination_email": [MESSAGES["destination_email_type"]]},
        ),
        ({"destination_email": ...}, {"destination_email": [MESSAGES["destination_email"]]}),
        ({"destination_name": "   "}, {"destination_name": [MESSAGES["destination_name"]]}),
        (
            {"destination_email": "admissions@birch"},
            {"destination_email": [MESSAGES["destination_email_format"]]},
        ),
        ({"destination_name": "B" * 201}, {"destination_name": [MESSAGES["destination_name_long"]]}),
    ],
)
def test_bad_destination_is_refused_with_field_messages(client, school, changes, expected):  # noqa: F811
    assert fields_of(client.post(URL, json=portability(school, **changes))) == expected
    assert stored() == []


def test_openapi_document_describes_the_destination_both_ways(client):
    document = client.get("/api/v1/openapi.json").get_json()

    def schema_of(found: dict) -> dict:
        while "$ref" in found:
            found = document["components"]["schemas"][found["$ref"].rsplit("/", 1)[1]]
        return found

    body = document["paths"]["/requests"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    asked = schema_of(body)
    for name in ("destination_name", "destination_email"):
        assert name in asked["properties"] and name not in asked.get("required", [])
        assert "portability" in asked["properties"][name]["description"]
    case = schema_of(
        document["paths"]["/cases/{reference}"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
    )
    assert {"destination_name", "destination_email"} <= set(case["required"])


def test_case_representation_shows_where_the_requester_asked_the_data_to_go(client, db_session):
    estate = build_estate()
    case = new_case(
        estate.alder, request_type="portability", destination_name=BIRCH, destination_email=BIRCH_EMAIL
    )
    response = client.get(f"/api/v1/cases/{case.reference}", headers=estate.auth("admin"))
    assert response.status_code == 200, response.text
    shown = response.get_json()
    assert (shown["destination_name"], shown["destination_email"]) == (BIRCH, BIRCH_EMAIL)
