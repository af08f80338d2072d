"""Restriction and objections over the API: restrict, schedule a lift (the
requester told first) or cancel it, decide objections, 422 for bad input,
409 for no record confirmed yet, everything restricted already or nothing
to lift or cancel, other schools' cases not found."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.extensions import db
from app.letters.services import format_date
from app.register.models import RegisterEntry
from app.restriction import lifting, services
from app.restriction.lookup import is_restricted
from tests.unit.api.estate import make_user
from tests.unit.collect.factory import amelia_case, confirmed_amelia
from tests.unit.restriction.factory import basis_at, register_entry
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


def test_objection_outside_article_21_over_the_api(client, setting):
    _world, case, auth = setting
    base = f"/api/v1/cases/{case.reference}/objections"
    is_access_log = (RegisterEntry.source == "access_log", RegisterEntry.category == "access_log")
    access_log = db.session.scalars(select(RegisterEntry).where(*is_access_log)).one()
    pupils = db.session.scalars(select(RegisterEntry).where(RegisterEntry.source == "pupils")).first()
    outside, within = (
        client.post(base, json={"register_entry_id": str(e.id)}, headers=auth["elm"]).get_json()
        for e in (access_log, pupils)
    )
    rejected = client.post(
        f"{base}/decision",
        json={"objection_id": outside["id"], "decision": "rejected", "grounds": "The law requires it."},
        headers=auth["elm"],
    )
    assert rejected.status_code == 422
    assert "Legal obligation (Article 6(1)(c))" in str(rejected.get_json()["error"]["fields"]["decision"])
    refused = client.post(
        f"{base}/decision", json={"objection_id": within["id"], "decision": "no_right"}, headers=auth["elm"]
    )
    assert refused.status_code == 422 and "The right to object applies" in str(refused.get_json())
    decided = client.post(
        f"{base}/decision", json={"objection_id": outside["id"], "decision": "no_right"}, headers=auth["elm"]
    )
    assert decided.status_code == 200 and decided.get_json()["decision"] == "no_right"
    assert decided.get_json()["grounds"] is None


def test_objection_shows_its_basis_and_keeps_the_one_decided_on_over_the_api(client, setting):
    world, case, auth = setting
    base = f"/api/v1/cases/{case.reference}/objections"
    access_log = register_entry("access_log", "access_log")
    made = client.post(base, json={"register_entry_id": str(access_log.id)}, headers=auth["elm"]).get_json()
    assert (made["basis"], made["basis_label"], made["outside_article_21"]) == (
        "legal_obligation",
        "Legal obligation (Article 6(1)(c))",
        True,
    )
    unnamed = client.post(base, json={"purpose": "Sharing with the council"}, headers=auth["elm"]).get_json()
    assert (unnamed["basis"], unnamed["basis_label"], unnamed["outside_article_21"]) == (None, None, False)
    decided = client.post(
        f"{base}/decision", json={"objection_id": made["id"], "decision": "no_right"}, headers=auth["elm"]
    )
    assert decided.status_code == 200 and decided.get_json()["basis"] == "legal_obligation"
    # Elm later words the access log as its public task: the decision still shows what it rested on.
    wording = "Public task (UK GDPR Art 6(1)(e)): keeping the school's systems secure."
    basis_at(world.elm, access_log, "public_task", wording)
    state = client.get(f"/api/v1/cases/{case.reference}/restriction", headers=auth["elm"]).get_json()
    shown = {o["id"]: o for o in state["objections"]}
    assert shown[made["id"]]["basis"] == "legal_obligation" and shown[made["id"]]["outside_article_21"]
    assert shown[unnamed["id"]]["basis"] is None


def test_no_right_with_grounds_is_refused_over_the_api(client, setting):
    _world, case, auth = setting
    base = f"/api/v1/cases/{case.reference}/objections"
    access_log = register_entry("access_log", "access_log")
    made = client.post(base, json={"register_entry_id": str(access_log.id)}, headers=auth["elm"]).get_json()
    refused = client.post(
        f"{base}/decision",
        json={"objection_id": made["id"], "decision": "no_right", "grounds": "The law requires it."},
        headers=auth["elm"],
    )
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {
        "grounds": ["No grounds are given when the right does not apply"]
    }


def test_objection_to_consent_processing_cannot_be_rejected_over_the_api(client, setting):
    world, case, auth = setting
    entry = register_entry("pupils", "characteristics")
    basis_at(
        world.elm, entry, "consent", "Consent (UK GDPR Art 6(1)(a)): the family agreed to it on joining."
    )
    base = f"/api/v1/cases/{case.reference}/objections"
    made = client.post(base, json={"register_entry_id": str(entry.id)}, headers=auth["elm"]).get_json()
    assert (made["basis"], made["outside_article_21"]) == ("consent", False)
    refused = client.post(
        f"{base}/decision",
        json={"objection_id": made["id"], "decision": "rejected", "grounds": "We need it."},
        headers=auth["elm"],
    )
    assert (
        refused.status_code == 422 and "Article 7(3)" in refused.get_json()["error"]["fields"]["decision"][0]
    )
