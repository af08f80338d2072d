"""Objections over the API, on an objection request: recording and
deciding them, 422 for bad input (no_right without saying it is not direct
marketing), 409 once the case is answered or closed, on another request
type, and for an objection decided already; the OpenAPI document says so."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.cases.services import close
from app.extensions import db
from app.register.models import RegisterEntry
from app.restriction import answers, objections
from tests.functional.test_restriction_api import api_setting
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.restriction.factory import basis_at, letters_sent, register_entry

# The decider says the processing is not direct marketing, as no_right needs.
SAID = {"not_direct_marketing": True}


@pytest.fixture
def setting(app, db_session):
    return api_setting(app, db_session, "objection")


def _elm_user() -> User:
    return db.session.scalars(select(User).where(User.email == "office@elm.sch.example")).one()


def test_objection_after_the_answer_is_a_409_and_no_decision_is_made(client, setting):
    _world, case, auth = setting
    base = f"/api/v1/cases/{case.reference}/objections"
    first = client.post(base, json={"purpose": "Class photographs"}, headers=auth["elm"]).get_json()
    decided = client.post(
        f"{base}/decision", json={"objection_id": first["id"], "decision": "upheld"}, headers=auth["elm"]
    )
    assert decided.status_code == 200
    assert client.post(f"/api/v1/cases/{case.reference}/answer", headers=auth["elm"]).status_code == 200
    late = client.post(base, json={"purpose": "Attendance reports to the council"}, headers=auth["elm"])
    assert late.status_code == 409, late.text
    error = late.get_json()["error"]
    assert error["code"] == "illegal_transition" and "while the case is responded" in error["message"]
    again = client.post(
        f"{base}/decision",
        json={"objection_id": first["id"], "decision": "rejected", "grounds": "Needed to safeguard pupils."},
        headers=auth["elm"],
    )
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "illegal_transition"
    db.session.expire_all()
    shown = client.get(f"/api/v1/cases/{case.reference}/restriction", headers=auth["elm"]).get_json()
    assert [o["decision"] for o in shown["objections"]] == ["upheld"]
    assert len(letters_sent(case, answers.OBJECTION_MAIL_CATEGORY)) == 1
    close(case, _elm_user())
    db.session.commit()
    closed = client.post(base, json={"purpose": "Attendance reports to the council"}, headers=auth["elm"])
    assert closed.status_code == 409 and "while the case is closed" in closed.get_json()["error"]["message"]


def test_objection_on_an_access_request_is_a_409(client, setting):
    world, _case, auth = setting
    access = confirmed_amelia(world, _elm_user(), request_type="access")
    refused = client.post(
        f"/api/v1/cases/{access.reference}/objections",
        json={"purpose": "Class photographs"},
        headers=auth["elm"],
    )
    assert refused.status_code == 409, refused.text
    assert "objection request, not access" in refused.get_json()["error"]["message"]
    assert objections.objections_for(access) == []


def test_deciding_an_objection_again_is_a_409(client, setting):
    _world, case, auth = setting
    base = f"/api/v1/cases/{case.reference}/objections"
    made = client.post(base, json={"purpose": "Class photographs"}, headers=auth["elm"]).get_json()
    body = {"objection_id": made["id"], "decision": "upheld"}
    assert client.post(f"{base}/decision", json=body, headers=auth["elm"]).status_code == 200
    again = client.post(f"{base}/decision", json=body, headers=auth["elm"])
    assert again.status_code == 409, again.text
    assert again.get_json()["error"] == {
        "status": 409,
        "code": "conflict",
        "message": objections.ALREADY_DECIDED,
    }


@pytest.mark.parametrize(("said", "status"), [({}, 422), ({"not_direct_marketing": False}, 422), (SAID, 200)])
def test_no_right_needs_not_direct_marketing_over_the_api(client, setting, said, status):
    _world, case, auth = setting
    base = f"/api/v1/cases/{case.reference}/objections"
    access_log = register_entry("access_log", "access_log")
    made = client.post(base, json={"register_entry_id": str(access_log.id)}, headers=auth["elm"]).get_json()
    assert made["direct_marketing"] is False  # as recorded when nobody said
    decided = client.post(
        f"{base}/decision",
        json={"objection_id": made["id"], "decision": "no_right", **said},
        headers=auth["elm"],
    )
    assert decided.status_code == status, decided.text
    if status == 422:
        assert decided.get_json()["error"]["fields"] == {
            "not_direct_marketing": [objections.NOT_DIRECT_MARKETING]
        }


def test_not_direct_marketing_must_be_a_json_boolean(client, setting):
    _world, case, auth = setting
    base = f"/api/v1/cases/{case.reference}/objections"
    made = client.post(base, json={"purpose": "Class photographs"}, headers=auth["elm"]).get_json()
    refused = client.post(
        f"{base}/decision",
        json={"objection_id": made["id"], "decision": "no_right", "not_direct_marketing": "yes"},
        headers=auth["elm"],
    )
    assert refused.status_code == 422 and "not_direct_marketing" in refused.get_json()["error"]["fields"]


def test_objection_operations_document_their_409s_and_no_right(client):
    document = client.get("/api/v1/openapi.json").get_json()
    create = document["paths"]["/cases/{reference}/objections"]["post"]
    decide = document["paths"]["/cases/{reference}/objections/decision"]["post"]
    assert {"409", "422"} <= set(create["responses"]) and {"409", "422"} <= set(decide["responses"])
    assert "no_right" in decide["summary"]
    description = " ".join(decide["description"].split())
    assert "409 when the objection is decided already" in description
    assert "not_direct_marketing" in description
    schemas = document["components"]["schemas"]
    body = next(s for name, s in schemas.items() if "not_direct_marketing" in s.get("properties", {}))
    assert body["properties"]["not_direct_marketing"]["type"] == "boolean"
    shown = next(s for name, s in schemas.items() if "outside_article_21" in s.get("properties", {}))
    flag = shown["properties"]["outside_article_21"]["description"]
    assert "True also for an objection upheld" in flag and "it is decided as no_right" not in flag


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
        f"{base}/decision",
        json={"objection_id": outside["id"], "decision": "no_right", **SAID},
        headers=auth["elm"],
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
        f"{base}/decision",
        json={"objection_id": made["id"], "decision": "no_right", **SAID},
        headers=auth["elm"],
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
        json={"objection_id": made["id"], "decision": "no_right", "grounds": "The law requires it.", **SAID},
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
