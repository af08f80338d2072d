"""Bearer-token authentication over HTTP: every refusal is the same 401."""

from datetime import timedelta

import pytest

from app.api.tokens import revoke_token
from app.db import utcnow
from tests.unit.api.estate import build_estate


@pytest.fixture
def estate(db_session):
    return build_estate()


def _assert_refused(response, error: str | None = "invalid_token"):
    assert response.status_code == 401
    assert response.is_json
    body = response.get_json()["error"]
    assert body["status"] == 401 and body["code"] in ("unauthorized", "invalid_token") and body["message"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="rights-desk"')
    if error:
        assert f'error="{error}"' in challenge
    return body


def test_me_with_valid_token_returns_the_user(client, estate):
    response = client.get("/api/v1/me", headers=estate.auth("alder"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == str(estate.users["alder"].id)
    assert body["role"] == "school" and body["organisation_id"] == str(estate.alder.id)
    assert "password_hash" not in body and "totp_secret" not in body
    assert response.headers["Cache-Control"] == "no-store"


def test_request_without_token_is_refused_with_challenge(client, estate):
    body = _assert_refused(client.get("/api/v1/me"), error=None)
    assert body["code"] == "unauthorized"


@pytest.mark.parametrize(
    "header",
    ["Bearer rd_00000000_wrong", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Bearer not-ours", "bearer"],
)
def test_request_with_wrong_token_is_refused(client, estate, header):
    body = _assert_refused(client.get("/api/v1/me", headers={"Authorization": header}))
    assert body["code"] == "invalid_token"


def test_scheme_is_case_insensitive(client, estate):
    secret = estate.secrets["alder"]
    assert client.get("/api/v1/me", headers={"Authorization": f"bearer {secret}"}).status_code == 200


def test_request_with_revoked_token_is_refused(client, estate, db_session):
    revoke_token(estate.users["alder"], estate.tokens["alder"].id)
    db_session.commit()
    _assert_refused(client.get("/api/v1/me", headers=estate.auth("alder")))


def test_request_with_expired_token_is_refused(client, estate, db_session):
    estate.tokens["alder"].expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    _assert_refused(client.get("/api/v1/me", headers=estate.auth("alder")))


def test_request_by_disabled_user_is_refused(client, estate, db_session):
    estate.users["alder"].is_active = False
    db_session.commit()
    _assert_refused(client.get("/api/v1/me", headers=estate.auth("alder")))


def test_refusals_do_not_say_why(client, estate, db_session):
    estate.users["birch"].is_active = False
    revoke_token(estate.users["alder"], estate.tokens["alder"].id)
    db_session.commit()
    revoked = client.get("/api/v1/me", headers=estate.auth("alder")).get_json()
    disabled = client.get("/api/v1/me", headers=estate.auth("birch")).get_json()
    unknown = client.get("/api/v1/me", headers={"Authorization": "Bearer rd_x_y"}).get_json()
    assert revoked == disabled == unknown


def test_use_of_token_is_recorded(client, estate, db_session):
    assert estate.tokens["alder"].last_used_at is None
    client.get("/api/v1/me", headers=estate.auth("alder"))
    db_session.expire_all()
    assert estate.tokens["alder"].last_used_at is not None


def test_api_sets_no_cookie(client, estate):
    response = client.get("/api/v1/me", headers=estate.auth("alder"))
    assert "Set-Cookie" not in response.headers


def test_post_with_token_needs_no_csrf_token(client, estate):
    response = client.post("/api/v1/tokens", json={"name": "ci"}, headers=estate.auth("alder"))
    assert response.status_code == 201


def test_refused_tokens_from_one_address_are_throttled(app, client, estate):
    app.config["LIMIT_API_TOKEN_FAILURES_IP"] = "3 per 10 minutes"
    for _ in range(3):
        _assert_refused(client.get("/api/v1/me", headers={"Authorization": "Bearer rd_guess"}))
    throttled = client.get("/api/v1/me", headers={"Authorization": "Bearer rd_guess"})
    assert throttled.status_code == 429
    assert throttled.get_json()["error"]["code"] == "rate_limited"
    assert int(throttled.headers["Retry-After"]) >= 1
    # While throttled the address is refused even with a good token: guessing
    # cannot go on by mixing in a known token.
    assert client.get("/api/v1/me", headers=estate.auth("alder")).status_code == 429


def test_good_tokens_are_never_throttled(app, client, estate):
    app.config["LIMIT_API_TOKEN_FAILURES_IP"] = "2 per 10 minutes"
    for _ in range(6):
        assert client.get("/api/v1/me", headers=estate.auth("alder")).status_code == 200


def test_requests_without_a_token_do_not_count_as_guesses(app, client, estate):
    app.config["LIMIT_API_TOKEN_FAILURES_IP"] = "2 per 10 minutes"
    for _ in range(4):
        _assert_refused(client.get("/api/v1/me"), error=None)
    assert client.get("/api/v1/me", headers=estate.auth("alder")).status_code == 200
