"""Restriction and objections over the API: restrict, lift (the requester
told first), decide objections, 422 for bad input, other schools' cases not
found."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.extensions import db
from app.register.models import RegisterEntry
from app.restriction.lookup import is_restricted
from tests.unit.api.estate import make_user
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.sources.factories import build_world


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None
    world = build_world(db_session)
    elm = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak = make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    secrets = {
        who: issue_token(user, name="laptop", days=30, actor=user).secret
        for who, user in (("elm", elm), ("oak", oak))
    }
    db.session.commit()
    case = confirmed_amelia(world, elm, request_type="restriction")
    return world, case, {who: {"Authorization": f"Bearer {secret}"} for who, secret in secrets.items()}


def test_restrict_and_lift_over_the_api(client, setting, smtp):
    world, case, auth = setting
    path = f"/api/v1/cases/{case.reference}/restriction"
    started = client.post(path, json={"reason": "The parent disputes the marks."}, headers=auth["elm"])
    assert started.status_code == 201, started.text
    body = started.get_json()
    assert body["records"] == [
        {"person_kind": "pupil", "person_id": str(world.amelia.id), "restricted": True}
    ]
    assert body["restrictions"][0]["reason"] == "The parent disputes the marks."
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}

    lifted = client.post(f"{path}/lift", json={"reason": "Checked."}, headers=auth["elm"])
    assert lifted.status_code == 200, lifted.text
    assert lifted.get_json()["records"][0]["restricted"] is False
    assert any(case.requester_email in m.rcpt_tos for m in smtp.messages if "lifted" in m.message["Subject"])
    shown = client.get(path, headers=auth["elm"]).get_json()
    assert (
        shown["restrictions"][0]["active"] is False
        and shown["restrictions"][0]["lifted_reason"] == "Checked."
    )


def test_restrict_refuses_bad_input_with_field_errors(client, setting):
    _world, case, auth = setting
    path = f"/api/v1/cases/{case.reference}/restriction"
    for body in ({}, {"reason": "   "}, {"reason": "x", "extra": 1}):
        response = client.post(path, json=body, headers=auth["elm"])
        assert response.status_code == 422, body
    lift = client.post(f"{path}/lift", json={"reason": "Nothing restricted."}, headers=auth["elm"])
    assert lift.status_code == 422 and "case" in lift.get_json()["error"]["fields"]


def test_restriction_of_another_schools_case_is_not_found(client, setting):
    _world, case, auth = setting
    path = f"/api/v1/cases/{case.reference}/restriction"
    assert client.get(path, headers=auth["oak"]).status_code == 404
    assert client.post(path, json={"reason": "Walk."}, headers=auth["oak"]).status_code == 404
    assert client.get(f"/api/v1/cases/{case.reference}/recipients", headers=auth["oak"]).status_code == 404


def test_objection_decisions_over_the_api(client, setting):
    _world, case, auth = setting
    base = f"/api/v1/cases/{case.reference}/objections"
    entry = db.session.scalars(select(RegisterEntry).where(RegisterEntry.source == "pupils")).first()
    made = client.post(base, json={"register_entry_id": str(entry.id)}, headers=auth["elm"])
    assert made.status_code == 201, made.text
    objection_id = made.get_json()["id"]
    assert made.get_json()["purpose"] == entry.title and made.get_json()["decision"] == "pending"

    no_grounds = client.post(
        f"{base}/decision", json={"objection_id": objection_id, "decision": "rejected"}, headers=auth["elm"]
    )
    assert no_grounds.status_code == 422 and "grounds" in no_grounds.get_json()["error"]["fields"]
    decided = client.post(
        f"{base}/decision",
        json={"objection_id": objection_id, "decision": "rejected", "grounds": "A legal duty of the school."},
        headers=auth["elm"],
    )
    assert decided.status_code == 200 and decided.get_json()["decision"] == "rejected"

    marketing = client.post(
        base, json={"purpose": "Newsletters", "direct_marketing": True}, headers=auth["elm"]
    )
    refused = client.post(
        f"{base}/decision",
        json={"objection_id": marketing.get_json()["id"], "decision": "rejected", "grounds": "We want to."},
        headers=auth["elm"],
    )
    assert refused.status_code == 422 and "decision" in refused.get_json()["error"]["fields"]
    unknown = client.post(
        f"{base}/decision", json={"objection_id": str(case.id), "decision": "upheld"}, headers=auth["elm"]
    )
    assert unknown.status_code == 422 and "objection_id" in unknown.get_json()["error"]["fields"]


@pytest.mark.parametrize("flag", [0, 1, "true", None])
def test_objection_direct_marketing_flag_must_be_a_json_boolean(client, setting, flag):
    _world, case, auth = setting
    entry = db.session.scalars(select(RegisterEntry).where(RegisterEntry.source == "pupils")).first()
    made = client.post(
        f"/api/v1/cases/{case.reference}/objections",
        json={"register_entry_id": str(entry.id), "direct_marketing": flag},
        headers=auth["elm"],
    )
    assert made.status_code == 422 and "direct_marketing" in made.get_json()["error"]["fields"]
