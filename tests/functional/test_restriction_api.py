"""Restriction over the API: restrict, schedule a lift (the requester told
first) or cancel it, 422 for bad input, 409 for no record confirmed yet,
everything restricted already or nothing to lift or cancel, other schools'
cases not found. Objections, on an objection request: test_objection_api."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.extensions import db
from app.letters.services import format_date
from app.restriction import lifting, services
from app.restriction.lookup import is_restricted
from tests.unit.api.estate import make_user
from tests.unit.collect.factory import amelia_case, confirmed_amelia
from tests.unit.sources.factories import build_world


def api_setting(app, db_session, request_type: str):
    """Amelia's request of ``request_type`` at Elm, her record confirmed,
    and bearer headers for a user of Elm and one of Oak."""
    app.config["REDIS_URL"] = None
    world = build_world(db_session)
    elm = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak = make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    secrets = {
        who: issue_token(user, name="laptop", days=30, actor=user).secret
        for who, user in (("elm", elm), ("oak", oak))
    }
    db.session.commit()
    case = confirmed_amelia(world, elm, request_type=request_type)
    return world, case, {who: {"Authorization": f"Bearer {secret}"} for who, secret in secrets.items()}


@pytest.fixture
def setting(app, db_session):
    return api_setting(app, db_session, "restriction")


def test_restrict_and_schedule_the_lift_over_the_api(client, setting, smtp):
    world, case, auth = setting
    path = f"/api/v1/cases/{case.reference}/restriction"
    started = client.post(path, json={"reason": "The parent disputes the marks."}, headers=auth["elm"])
    assert started.status_code == 201, started.text
    body = started.get_json()
    assert body["records"] == [
        {"person_kind": "pupil", "person_id": str(world.amelia.id), "restricted": True}
    ]
    assert body["restrictions"][0]["reason"] == "The parent disputes the marks."
    assert body["lift_on"] is None and body["lift_notified_at"] is None
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}

    day = lifting.today() + timedelta(days=lifting.LIFT_NOTICE_DAYS)
    scheduled = client.post(
        f"{path}/lift", json={"reason": "Checked.", "lift_on": day.isoformat()}, headers=auth["elm"]
    )
    assert scheduled.status_code == 200, scheduled.text
    body = scheduled.get_json()
    # Told now, lifted on the day: still restricted.
    assert body["records"][0]["restricted"] is True and body["lift_on"] == day.isoformat()
    assert body["lift_notified_at"] is not None
    told = [
        m for m in smtp.messages if case.requester_email in m.rcpt_tos and "lifted" in m.message["Subject"]
    ]
    assert len(told) == 1 and format_date(day) in told[0].message["Subject"]
    shown = client.get(path, headers=auth["elm"]).get_json()
    row = shown["restrictions"][0]
    assert row["active"] is True and row["lift_on"] == day.isoformat() and row["lift_reason"] == "Checked."
    assert shown["lift_on"] == day.isoformat()

    assert lifting.lift_due(on=day) == 1
    db.session.commit()
    shown = client.get(path, headers=auth["elm"]).get_json()
    assert shown["records"][0]["restricted"] is False and shown["lift_on"] is None
    assert (
        shown["restrictions"][0]["active"] is False
        and shown["restrictions"][0]["lifted_reason"] == "Checked."
    )


def test_cancel_a_scheduled_lift_over_the_api(client, setting, smtp):
    world, case, auth = setting
    path = f"/api/v1/cases/{case.reference}/restriction"
    client.post(path, json={"reason": "Disputed."}, headers=auth["elm"])
    day = (lifting.today() + timedelta(days=3)).isoformat()
    client.post(f"{path}/lift", json={"reason": "Checked.", "lift_on": day}, headers=auth["elm"])
    cancelled = client.post(f"{path}/lift/cancel", headers=auth["elm"])
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.get_json()
    assert body["lift_on"] is None and body["records"][0]["restricted"] is True
    assert any("stays" in m.message["Subject"] for m in smtp.messages if case.requester_email in m.rcpt_tos)
    again = client.post(f"{path}/lift/cancel", headers=auth["elm"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}


def test_restrict_again_answers_409_with_what_to_do(client, setting):
    _world, case, auth = setting
    path = f"/api/v1/cases/{case.reference}/restriction"
    assert client.post(path, json={"reason": "Disputed."}, headers=auth["elm"]).status_code == 201
    again = client.post(path, json={"reason": "Still disputed."}, headers=auth["elm"])
    assert again.status_code == 409, again.text
    assert again.get_json() == {
        "error": {"status": 409, "code": "conflict", "message": services.ALREADY_RESTRICTED}
    }
    shown = client.get(path, headers=auth["elm"]).get_json()
    assert [row["reason"] for row in shown["restrictions"]] == ["Disputed."]


def test_restrict_answers_409_when_no_record_is_confirmed_yet(client, setting, caseworker):
    world, _case, auth = setting
    unmatched = amelia_case(world, caseworker, request_type="restriction")
    db.session.commit()
    path = f"/api/v1/cases/{unmatched.reference}/restriction"
    refused = client.post(path, json={"reason": "Disputed."}, headers=auth["elm"])
    assert refused.status_code == 409, refused.text
    assert refused.get_json() == {
        "error": {"status": 409, "code": "conflict", "message": services.NOTHING_CONFIRMED}
    }
    assert "Confirm the subject's records first" in services.NOTHING_CONFIRMED
    assert client.get(path, headers=auth["elm"]).get_json()["restrictions"] == []
    # Bad input is still a field message, whatever the case's state.
    blank = client.post(path, json={"reason": "  "}, headers=auth["elm"])
    assert blank.status_code == 422 and "reason" in blank.get_json()["error"]["fields"]


def test_restrict_documents_its_409s_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    restrict = document["paths"]["/cases/{reference}/restriction"]["post"]
    assert {"409", "422"} <= set(restrict["responses"])
    description = " ".join(restrict["description"].split())
    assert "409 when no record is confirmed as the subject's yet (confirm the subject's records first)" in (
        description
    )
    assert "or when every confirmed record is restricted already" in description


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"reason": "Checked."}, {"lift_on"}),
        ({"reason": "Checked.", "lift_on": "next week"}, {"lift_on"}),
        ({"reason": "Checked.", "lift_on": "2026-02-30"}, {"lift_on"}),
        ({"reason": "Checked.", "lift_on": None}, {"lift_on"}),
        ({"lift_on": "2099-01-01"}, {"reason"}),
    ],
)
def test_lift_refuses_a_missing_or_bad_date_with_field_messages(client, setting, body, fields):
    _world, case, auth = setting
    path = f"/api/v1/cases/{case.reference}/restriction"
    client.post(path, json={"reason": "Disputed."}, headers=auth["elm"])
    refused = client.post(f"{path}/lift", json=body, headers=auth["elm"])
    assert refused.status_code == 422, refused.text
    assert set(refused.get_json()["error"]["fields"]) == fields


@pytest.mark.parametrize("days", [0, -3, 400])
def test_lift_refuses_a_date_too_early_or_too_far(client, setting, smtp, days):
    _world, case, auth = setting
    path = f"/api/v1/cases/{case.reference}/restriction"
    client.post(path, json={"reason": "Disputed."}, headers=auth["elm"])
    day = (lifting.today() + timedelta(days=days)).isoformat()
    refused = client.post(f"{path}/lift", json={"reason": "Checked.", "lift_on": day}, headers=auth["elm"])
    assert refused.status_code == 422 and "lift_on" in refused.get_json()["error"]["fields"]
    assert not any(case.requester_email in m.rcpt_tos for m in smtp.messages)


def test_lift_with_nothing_to_lift_is_a_conflict(client, setting):
    _world, case, auth = setting
    path = f"/api/v1/cases/{case.reference}/restriction"
    day = (lifting.today() + timedelta(days=14)).isoformat()
    nothing = client.post(
        f"{path}/lift", json={"reason": "Nothing restricted.", "lift_on": day}, headers=auth["elm"]
    )
    assert nothing.status_code == 409, nothing.text
    client.post(path, json={"reason": "Disputed."}, headers=auth["elm"])
    assert (
        client.post(f"{path}/lift", json={"reason": "A.", "lift_on": day}, headers=auth["elm"]).status_code
        == 200
    )
    twice = client.post(f"{path}/lift", json={"reason": "B.", "lift_on": day}, headers=auth["elm"])
    assert twice.status_code == 409 and "cancel it first" in twice.get_json()["error"]["message"]


def test_restrict_refuses_bad_input_with_field_errors(client, setting):
    _world, case, auth = setting
    path = f"/api/v1/cases/{case.reference}/restriction"
    for body in ({}, {"reason": "   "}, {"reason": "x", "extra": 1}):
        response = client.post(path, json=body, headers=auth["elm"])
        assert response.status_code == 422, body


def test_restriction_of_another_schools_case_is_not_found(client, setting):
    _world, case, auth = setting
    path = f"/api/v1/cases/{case.reference}/restriction"
    assert client.get(path, headers=auth["oak"]).status_code == 404
    assert client.post(path, json={"reason": "Walk."}, headers=auth["oak"]).status_code == 404
    assert client.post(f"{path}/lift/cancel", headers=auth["oak"]).status_code == 404
    assert client.get(f"/api/v1/cases/{case.reference}/recipients", headers=auth["oak"]).status_code == 404
