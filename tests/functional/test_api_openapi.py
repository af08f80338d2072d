"""The OpenAPI document: valid, complete, and true to what the API answers."""

import re
from collections import defaultdict

import pytest
import schemathesis
from openapi_spec_validator import validate

from app.api.openapi import openapi_path
from tests.unit.api.estate import build_estate

# Operations anyone may call: no security requirement, so no 401 or 403.
PUBLIC_OPERATIONS = {"POST /requests"}


@pytest.fixture
def estate(db_session):
    return build_estate()


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def test_openapi_document_is_valid_openapi_3(document):
    assert document["openapi"].startswith("3.")
    validate(document)


def test_openapi_document_needs_no_token(client):
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_openapi_document_covers_every_api_route(app, document):
    prefix = document["servers"][0]["url"]
    routed: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix + "/") or rule.rule == f"{prefix}/openapi.json":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((openapi_path(rule.rule[len(prefix) :]), method.lower()))
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routed == documented
    assert len(documented) >= 8


def test_every_operation_is_secured_and_documents_its_errors(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "rd_ API token",
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            codes = set(operation["responses"])
            if label in PUBLIC_OPERATIONS:
                assert operation["security"] == [], label
                assert {"429", "500"} <= codes and not codes & {"401", "403"}, label
            else:
                assert operation["security"] == [{"bearerAuth": []}], label
                assert {"401", "429", "500"} <= codes, label
            assert any(code.startswith("2") for code in codes), label
            if "{" in path:
                assert "404" in codes, label
            if "parameters" in operation and any(p["in"] == "query" for p in operation["parameters"]):
                assert "422" in codes, label
            if "requestBody" in operation:
                assert {"400", "415", "422"} <= codes, label
            for code, response in operation["responses"].items():
                if not code.startswith("2"):
                    assert response["$ref"].startswith("#/components/responses/"), label


def test_error_responses_share_the_error_schema(document):
    components = document["components"]
    for name, response in components["responses"].items():
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (
            name
        )
    detail = components["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"status", "code", "message"}
    assert detail["properties"]["fields"]["additionalProperties"]["type"] == "array"


def test_admin_only_operation_documents_403(document):
    assert "403" in document["paths"]["/users"]["get"]["responses"]
    assert "Roles: admin." in document["paths"]["/users"]["get"]["description"]


def test_token_name_pattern_matches_the_server_rule(document):
    pattern = document["components"]["schemas"]["TokenCreate"]["properties"]["name"]["pattern"]
    python = re.compile(pattern)  # JSON Schema (ECMA) and Python agree on this one
    assert python.search("reports 2026") and not python.search("   ") and not python.search("a\tb")


def _register_entry_id():
    from sqlalchemy import select

    from app.extensions import db
    from app.register.models import RegisterEntry

    return db.session.scalars(select(RegisterEntry.id)).first()


def _call_all(app, estate):
    """Each operation called once with real ids, once without a token, once
    with a missing id or a bad parameter: every answer must match the document."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    admin = estate.auth("admin")
    ids = {
        "organisation_id": str(estate.alder.id),
        "token_id": str(estate.tokens["birch"].id),
        "reference": "SAR-2024-000001",
        "evidence_id": "00000000-0000-4000-8000-00000000e71d",
        "candidate_id": "00000000-0000-4000-8000-0000000ca4d1",
        "entry_id": str(_register_entry_id()),
    }
    missing = defaultdict(lambda: "00000000-0000-4000-8000-000000000000")
    missing["reference"] = "SAR-1999-999999"
    # An operation whose id is not listed above is still called, with an id
    # that finds nothing: its 404 must match the document too.
    ids = defaultdict(lambda: "00000000-0000-4000-8000-0000000000aa", ids)
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        names = [p.name for p in operation.path_parameters]
        has_body = "requestBody" in operation.definition.raw
        body = {"name": "from the document test"} if operation.method == "post" and has_body else None
        variants = [
            {"headers": admin, "path_parameters": {n: ids[n] for n in names}},
            {"headers": {}, "path_parameters": {n: ids[n] for n in names}},
        ]
        if names:
            variants.append({"headers": admin, "path_parameters": {n: missing[n] for n in names}})
        if any(p.location == "query" for p in operation.iter_parameters()):
            variants.append({"headers": admin, "path_parameters": {}, "query": {"per_page": 0}})
        for variant in variants:
            kwargs = {"body": body} if body is not None else {}
            case = operation.Case(**variant, **kwargs)
            response = case.call()
            case.validate_response(response)
            calls += 1
    return calls


def test_real_answers_match_the_document(app, estate):
    assert _call_all(app, estate) >= 20


def test_schemathesis_loads_the_document(document):
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "GET /me",
        "GET /organisations",
        "GET /organisations/{organisation_id}",
        "GET /tokens",
        "POST /tokens",
        "GET /tokens/{token_id}",
        "DELETE /tokens/{token_id}",
        "GET /users",
    }
