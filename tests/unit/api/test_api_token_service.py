import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.scoping import NotInScope
from app.api.models import ApiToken
from app.api.tokens import (
    LAST_USED_RESOLUTION,
    TokenRefused,
    authenticate,
    get_token_for,
    issue_token,
    revoke_token,
)
from app.audit.models import AuditEvent
from app.audit.services import verify_chain
from app.db import utcnow
from app.sources.validation import FieldError


def test_issue_token_stores_only_the_hash(estate, db_session):
    issued = issue_token(estate.users["alder"], name="reports", days=10)
    db_session.commit()
    row = db_session.get(ApiToken, issued.token.id)
    assert issued.secret.startswith(row.prefix + "_")
    assert row.prefix.startswith("rd_") and len(row.prefix) == 11
    assert row.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    stored = [str(value) for value in vars(row).values()]
    assert not any(issued.secret in value for value in stored)


def test_issue_token_sets_expiry_from_days(estate):
    issued = issue_token(estate.users["alder"], name="x", days=7)
    assert timedelta(days=7) - timedelta(seconds=5) < issued.token.expires_at - utcnow() <= timedelta(days=7)


@pytest.mark.parametrize("days", [0, -1, 366, 10_000])
def test_issue_token_refuses_lifetime_out_of_range(estate, days):
    with pytest.raises(FieldError) as caught:
        issue_token(estate.users["alder"], name="x", days=days)
    assert caught.value.field == "expires_in_days"


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_issue_token_refuses_bad_name(estate, name):
    with pytest.raises(FieldError):
        issue_token(estate.users["alder"], name=name)


def test_issue_token_refuses_disabled_user(estate, db_session):
    estate.users["alder"].is_active = False
    with pytest.raises(FieldError):
        issue_token(estate.users["alder"], name="x")


def test_authenticate_accepts_valid_token_and_records_use(estate):
    token = authenticate(estate.secrets["alder"])
    assert token.user is estate.users["alder"]
    assert token.last_used_at is not None


def test_authenticate_records_use_at_most_once_a_minute(estate):
    first = authenticate(estate.secrets["alder"]).last_used_at
    assert authenticate(estate.secrets["alder"]).last_used_at == first
    later = first + LAST_USED_RESOLUTION + timedelta(seconds=1)
    assert authenticate(estate.secrets["alder"], now=later).last_used_at == later


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("rd_deadbeef_nothing", "unknown"), ("not-a-token", "malformed"), ("rd_" + "x" * 300, "malformed")],
)
def test_authenticate_refuses_unknown_or_malformed_token(estate, raw, reason):
    with pytest.raises(TokenRefused) as caught:
        authenticate(raw)
    assert caught.value.reason == reason


def test_authenticate_refuses_revoked_token(estate, db_session):
    revoke_token(estate.users["alder"], estate.tokens["alder"].id)
    db_session.commit()
    with pytest.raises(TokenRefused, match="revoked"):
        authenticate(estate.secrets["alder"])


def test_authenticate_refuses_expired_token(estate):
    later = estate.tokens["alder"].expires_at
    with pytest.raises(TokenRefused, match="expired"):
        authenticate(estate.secrets["alder"], now=later)


def test_authenticate_refuses_token_of_disabled_user(estate, db_session):
    estate.users["alder"].is_active = False
    db_session.commit()
    with pytest.raises(TokenRefused, match="inactive_user"):
        authenticate(estate.secrets["alder"])


def test_authenticate_refuses_token_of_locked_out_user(estate, db_session):
    estate.users["alder"].locked_until = utcnow() + timedelta(minutes=5)
    db_session.commit()
    with pytest.raises(TokenRefused, match="locked_user"):
        authenticate(estate.secrets["alder"])
    later = estate.users["alder"].locked_until + timedelta(seconds=1)
    assert authenticate(estate.secrets["alder"], now=later) is estate.tokens["alder"]


def test_get_token_for_hides_other_users_tokens(estate):
    with pytest.raises(NotInScope):
        get_token_for(estate.users["alder"], estate.tokens["birch"].id)
    with pytest.raises(NotInScope):
        get_token_for(estate.users["caseworker"], estate.tokens["birch"].id)
    assert get_token_for(estate.users["admin"], estate.tokens["birch"].id) is estate.tokens["birch"]


def test_revoke_token_by_admin_revokes_anyones(estate, db_session):
    token = revoke_token(estate.users["admin"], estate.tokens["birch"].id)
    db_session.commit()
    assert token.revoked_at is not None


def test_revoked_token_is_not_found_for_its_user(estate, db_session):
    token_id = estate.tokens["alder"].id
    revoke_token(estate.users["alder"], token_id)
    db_session.commit()
    with pytest.raises(NotInScope):
        get_token_for(estate.users["alder"], token_id)
    with pytest.raises(NotInScope):
        revoke_token(estate.users["alder"], token_id)


def test_revoke_token_twice_from_the_command_line_records_one_event(estate, db_session):
    token_id = estate.tokens["alder"].id
    first = revoke_token(None, token_id, via="cli").revoked_at
    second = revoke_token(None, token_id, via="cli").revoked_at
    db_session.commit()
    assert first == second
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "api_token.revoked", AuditEvent.object_id == token_id)
    ).all()
    assert len(events) == 1


def test_token_events_hold_ids_only(estate, db_session):
    token = estate.tokens["alder"]
    revoke_token(estate.users["admin"], token.id)
    db_session.commit()
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.object_id == token.id)).all()
    assert {event.action for event in events} == {"api_token.created", "api_token.revoked"}
    for event in events:
        assert event.object_type == "api_token"
        assert event.data["user_id"] == str(token.user_id)
        text = repr(event.data)
        assert token.name not in text and estate.secrets["alder"] not in text and token.prefix not in text
    revoked = next(e for e in events if e.action == "api_token.revoked")
    assert revoked.actor_id == estate.users["admin"].id
    assert verify_chain().intact
