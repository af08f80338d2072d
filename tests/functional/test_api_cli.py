"""``flask tokens create|list|revoke``."""

import uuid

import pytest
from sqlalchemy import select

from app.api.models import ApiToken
from app.audit.models import AuditEvent
from tests.unit.api.estate import build_estate


@pytest.fixture
def estate(db_session):
    return build_estate()


def test_tokens_create_prints_a_working_token_once(app, client, estate, db_session):
    result = app.test_cli_runner().invoke(
        args=[
            "tokens",
            "create",
            "--email",
            "ALICE.alder@alder.example.org",
            "--name",
            "import",
            "--days",
            "5",
        ]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("rd_")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.get_json()["email"] == "alice.alder@alder.example.org"
    token = db_session.scalar(select(ApiToken).where(ApiToken.name == "import"))
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.object_id == token.id))
    assert event.action == "api_token.created" and event.actor_type == "system" and event.data["via"] == "cli"


def test_tokens_create_for_unknown_email_fails(app, estate):
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--email", "nobody@x.org", "--name", "n"])
    assert result.exit_code != 0
    assert "no staff user" in result.output


@pytest.mark.parametrize("days", ["0", "366", "soon"])
def test_tokens_create_refuses_lifetime_out_of_range(app, estate, days):
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--email", "ada.admin@rightsdesk.example", "--name", "n", "--days", days]
    )
    assert result.exit_code == 2


def test_tokens_list_shows_prefix_never_secret(app, estate):
    result = app.test_cli_runner().invoke(args=["tokens", "list", "--email", "ada.admin@rightsdesk.example"])
    assert result.exit_code == 0
    assert estate.tokens["admin"].prefix in result.output
    assert estate.secrets["admin"] not in result.output


def test_tokens_revoke_stops_the_token(app, client, estate):
    token_id = str(estate.tokens["birch"].id)
    result = app.test_cli_runner().invoke(args=["tokens", "revoke", token_id])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/me", headers=estate.auth("birch")).status_code == 401
    missing = app.test_cli_runner().invoke(args=["tokens", "revoke", str(uuid.uuid4())])
    assert missing.exit_code != 0
