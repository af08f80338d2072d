"""Every API error is JSON of one shape, and bad input is never a 500."""

import pytest
from werkzeug.exceptions import TooManyRequests

from tests.unit.api.estate import build_estate


@pytest.fixture
def estate(db_session):
    return build_estate()


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["status"] == status and error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert set(error) <= {"status", "code", "message", "fields"}
    return error


def test_unknown_api_path_is_json_404(client, estate):
    _error(client.get("/api/v1/nothing-here", headers=estate.auth("admin")), 404, "not_found")
    _error(client.get("/api/nothing"), 404, "not_found")


def test_bad_uuid_in_path_is_404_not_500(client, estate):
    for bad in ("not-a-uuid", "1", "%00", "' OR 1=1 --", "0" * 200):
        _error(client.get(f"/api/v1/organisations/{bad}", headers=estate.auth("admin")), 404, "not_found")


def test_wrong_method_is_json_405_with_allow(client, estate):
    error = client.put("/api/v1/me", headers=estate.auth("admin"))
    _error(error, 405, "method_not_allowed")
    assert {"GET", "HEAD"} <= {m.strip() for m in error.headers["Allow"].split(",")}
    _error(client.post("/api/v1/openapi.json"), 405, "method_not_allowed")


def test_role_refusal_is_json_403(client, estate):
    error = _error(client.get("/api/v1/users", headers=estate.auth("caseworker")), 403, "forbidden")
    assert "fields" not in error


def test_validation_failure_is_422_with_field_messages(client, estate):
    response = client.get("/api/v1/organisations?per_page=500", headers=estate.auth("admin"))
    error = _error(response, 422, "validation_failed")
    assert error["fields"] == {"per_page": ["Must be between 1 and 100."]}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=", "page"),
        ("page=100001", "page"),
        ("per_page=0", "per_page"),
        ("per_page=1.5", "per_page"),
        ("per_page=99999999999999999999999", "per_page"),
        ("colour=blue", "colour"),
        ("page=1&page=2", "page"),
    ],
)
def test_bad_paging_is_422_naming_the_parameter(client, estate, query, field):
    error = _error(
        client.get(f"/api/v1/organisations?{query}", headers=estate.auth("admin")), 422, "validation_failed"
    )
    assert list(error["fields"]) == [field]


def test_malformed_json_is_400(client, estate):
    for raw in (b"{", b"", b"\xff\xfe\x00", b"[" * 100_000, b'{"name": "\\ud800"}'):
        response = client.post(
            "/api/v1/tokens", data=raw, content_type="application/json", headers=estate.auth("alder")
        )
        _error(response, 400, "invalid_json")


def test_body_that_is_not_json_is_415(client, estate):
    response = client.post("/api/v1/tokens", data="name=x", headers=estate.auth("alder"))
    _error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "_schema"),
        ("a string", "_schema"),
        (3, "_schema"),
        ({"name": 7}, "name"),
        ({"name": "x", "expires_in_days": "30"}, "expires_in_days"),
        ({"name": "x", "expires_in_days": 400}, "expires_in_days"),
        ({"name": "x", "user_id": "someone"}, "user_id"),
        ({}, "name"),
    ],
)
def test_wrong_body_is_422(client, estate, body, field):
    response = client.post("/api/v1/tokens", json=body, headers=estate.auth("alder"))
    error = _error(response, 422, "validation_failed")
    assert field in error["fields"]


def test_json_null_body_is_422(client, estate):
    response = client.post(
        "/api/v1/tokens", data="null", content_type="application/json", headers=estate.auth("alder")
    )
    assert _error(response, 422, "validation_failed")["fields"]


def test_unauthenticated_request_learns_nothing_about_validation(client, estate):
    _error(client.get("/api/v1/organisations?per_page=500"), 401, "unauthorized")


def test_unexpected_error_is_generic_500(client, estate, monkeypatch):
    from app.api.views import me

    def explode():
        raise RuntimeError("secret internals: /srv/db password=hunter2")

    monkeypatch.setattr(me, "current_user", explode)
    error = _error(client.get("/api/v1/me", headers=estate.auth("alder")), 500, "internal_error")
    assert "hunter2" not in error["message"] and "RuntimeError" not in error["message"]


def test_rate_limit_is_json_429_with_retry_after(client, estate, monkeypatch):
    from app.api.views import me

    def throttled():
        raise TooManyRequests(retry_after=30)

    monkeypatch.setattr(me, "current_user", throttled)
    response = client.get("/api/v1/me", headers=estate.auth("alder"))
    _error(response, 429, "rate_limited")
    assert response.headers["Retry-After"] == "30"


def test_html_pages_keep_their_own_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype != "application/json"
