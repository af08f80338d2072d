"""Reviewing over the API, on a case gathered from the real stores: the
review with suggestions, single and bulk decisions, the disclosure
schedule, approval; 422 with field messages for bad input, 409 when the
case is not in review or not fully decided, 404 outside the caller's
organisations; every look audited and access-logged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.audit.models import AuditEvent
from app.cases.models import CaseStatus
from app.extensions import db
from app.review.models import ItemDecision
from app.sources.access_log.models import AccessLogEntry
from tests.unit.api.estate import make_user
from tests.unit.collect.factory import amelia_case
from tests.unit.review.factory import gathered_amelia, items_of, key_of
from tests.unit.sources.factories import build_world


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    world = build_world(db_session)
    users = {
        "caseworker": make_user("cas.worker@rightsdesk.example", Role.CASEWORKER),
        "elm": make_user("office@elm.sch.example", Role.SCHOOL, world.elm),
        "oak": make_user("office@oak.sch.example", Role.SCHOOL, world.oak),
    }
    secrets = {
        key: issue_token(user, name=f"{key} token", days=30, actor=user).secret for key, user in users.items()
    }
    db_session.commit()
    case = gathered_amelia(world, users["caseworker"])
    auth = {key: {"Authorization": f"Bearer {secret}"} for key, secret in secrets.items()}
    return world, users, auth, case


def _base(case) -> str:
    return f"/api/v1/cases/{case.reference}"


def test_a_school_user_reviews_decides_and_approves_through_the_api(client, db_session, setting):
    _world, users, auth, case = setting
    base = _base(case)
    found = client.get(f"{base}/review", headers=auth["elm"])
    assert found.status_code == 200, found.text
    review = found.get_json()
    total = len(items_of(case))
    assert review["case_status"] == "in_review" and review["can_decide"] and not review["can_approve"]
    assert review["progress"] == {
        "total": total,
        "decided": 0,
        "undecided": total,
        "stale": 0,
        "complete": False,
    }
    letter = key_of(case, "correspondence")
    entries = {item["key"]: item for group in review["groups"] for item in group["items"]}
    assert entries[letter]["suggestions"] == [{"field": "body", "start": 29, "end": 33, "name_kind": "pupil"}]
    assert entries[letter]["state"] == "undecided" and entries[letter]["decision"] is None

    redacted = client.post(
        f"{base}/review/decisions",
        headers=auth["elm"],
        json={
            "item_key": letter,
            "action": "redact",
            "exemption": "third_party",
            "redactions": [{"field": "body", "start": 29, "end": 33}],
            "phrases": ["Mrs O'Brien"],
            "note": "Her twin's name",
        },
    )
    assert redacted.status_code == 200, redacted.text
    result = redacted.get_json()
    assert (
        result["state"] == "decided" and result["decision"]["exemption_citation"] == "DPA 2018 Sch 2 para 16"
    )
    assert result["decision"]["redactions"] == [
        {"field": "body", "start": 5, "end": 16},
        {"field": "body", "start": 29, "end": 33},
    ]
    assert result["decision"]["decided_by_id"] == str(users["elm"].id) and result["progress"]["decided"] == 1

    send = key_of(case, "send")
    accepted = client.post(f"{base}/review/suggestions", headers=auth["elm"], json={"item_key": send})
    assert accepted.status_code == 422 and "suggestions" in accepted.get_json()["error"]["fields"]
    withheld = client.post(
        f"{base}/review/decisions",
        headers=auth["elm"],
        json={"item_key": send, "action": "withhold", "exemption": "serious_harm"},
    )
    assert withheld.status_code == 200

    early = client.post(f"{base}/approve", headers=auth["elm"])
    assert (
        early.status_code == 409
        and f"{total - 2} items not yet decided" in early.get_json()["error"]["message"]
    )

    bulk = client.post(
        f"{base}/review/bulk", headers=auth["elm"], json={"action": "disclose", "undecided": True}
    )
    assert bulk.status_code == 200 and bulk.get_json()["decided"] == total - 2
    assert bulk.get_json()["progress"]["complete"] is True

    schedule = client.get(f"{base}/disclosure-schedule", headers=auth["elm"])
    assert schedule.status_code == 200
    rows = {row["item_key"]: row for row in schedule.get_json()["rows"]}
    assert rows[send]["title"] is None and rows[send]["action"] == "withhold"
    assert rows[letter]["note"] == "Her twin's name" and rows[letter]["redacted_parts"] == 2
    assert rows[letter]["decided_by"] == users["elm"].name

    approved = client.post(f"{base}/approve", headers=auth["elm"])
    assert approved.status_code == 200, approved.text
    assert approved.get_json()["status"] == "approved" and approved.get_json()["progress"]["complete"]
    db.session.expire_all()
    assert case.status is CaseStatus.APPROVED
    late = client.post(
        f"{base}/review/decisions", headers=auth["elm"], json={"item_key": send, "action": "disclose"}
    )
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "illegal_transition"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "disclose"}, "item_key"),
        ({"item_key": "pupils/send:x"}, "action"),
        ({"item_key": "bad key!", "action": "disclose"}, "item_key"),
        ({"item_key": "k", "action": "shred"}, "action"),
        ({"item_key": "k", "action": "withhold", "exemption": "because"}, "exemption"),
        ({"item_key": "k", "action": "disclose", "note": "a\u0000b"}, "note"),
        (
            {"item_key": "k", "action": "redact", "redactions": [{"field": "body", "start": "0", "end": 1}]},
            None,
        ),
        (
            {
                "item_key": "k",
                "action": "redact",
                "redactions": [{"field": "x", "start": 0, "end": 1, "y": 2}],
            },
            None,
        ),
        ({"item_key": "k", "action": "disclose", "colour": "red"}, "colour"),
        ({"item_key": "k", "action": "redact", "phrases": [""]}, None),
    ],
)
def test_malformed_decisions_answer_422_with_field_messages(client, setting, body, field):
    _world, _users, auth, case = setting
    answer = client.post(f"{_base(case)}/review/decisions", headers=auth["elm"], json=body)
    assert answer.status_code == 422, answer.text
    fields = answer.get_json()["error"]["fields"]
    assert field is None or field in fields, fields


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"item_key": "KEY", "action": "withhold"}, "exemption"),
        ({"item_key": "KEY", "action": "redact", "exemption": "third_party"}, "redactions"),
        (
            {
                "item_key": "KEY",
                "action": "redact",
                "exemption": "third_party",
                "redactions": [{"field": "notes", "start": 0, "end": 999}],
            },
            "redactions",
        ),
        (
            {"item_key": "KEY", "action": "redact", "exemption": "third_party", "phrases": ["Zebedee"]},
            "phrases",
        ),
    ],
)
def test_decisions_that_break_a_rule_answer_422_and_change_nothing(client, db_session, setting, body, field):
    _world, _users, auth, case = setting
    body = {**body, "item_key": key_of(case, "send")}
    answer = client.post(f"{_base(case)}/review/decisions", headers=auth["elm"], json=body)
    assert answer.status_code == 422 and field in answer.get_json()["error"]["fields"], answer.text
    assert db_session.scalars(select(ItemDecision)).all() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "redact", "undecided": True}, "action"),
        ({"action": "disclose", "undecided": "yes"}, "undecided"),
        ({"action": "disclose", "undecided": 1}, "undecided"),
        ({"action": "disclose"}, "item_keys"),
        ({"action": "disclose", "item_keys": ["pupils/send:nope"]}, "item_keys"),
        ({"action": "disclose", "item_keys": ["bad key!"]}, "item_keys.0"),
        ({"action": "withhold", "undecided": True}, "exemption"),
    ],
)
def test_bad_bulk_decisions_answer_422(client, db_session, setting, body, field):
    _world, _users, auth, case = setting
    answer = client.post(f"{_base(case)}/review/bulk", headers=auth["elm"], json=body)
    assert answer.status_code == 422 and field in answer.get_json()["error"]["fields"], answer.text
    assert db_session.scalars(select(ItemDecision)).all() == []


def test_an_item_the_case_does_not_have_is_not_found(client, setting):
    _world, _users, auth, case = setting
    body = {"item_key": "pupils/send:not-this-one", "action": "disclose"}
    assert client.post(f"{_base(case)}/review/decisions", headers=auth["elm"], json=body).status_code == 404
    accept = {"item_key": "pupils/send:not-this-one"}
    assert (
        client.post(f"{_base(case)}/review/suggestions", headers=auth["elm"], json=accept).status_code == 404
    )


def test_another_schools_user_gets_not_found_and_nothing_is_logged(client, db_session, setting):
    _world, users, auth, case = setting
    base = _base(case)
    for method, path, body in (
        ("get", "review", None),
        ("get", "disclosure-schedule", None),
        ("post", "review/decisions", {"item_key": key_of(case, "send"), "action": "disclose"}),
        ("post", "review/suggestions", {"item_key": key_of(case, "correspondence")}),
        ("post", "review/bulk", {"action": "disclose", "undecided": True}),
        ("post", "approve", None),
    ):
        answer = getattr(client, method)(f"{base}/{path}", headers=auth["oak"], json=body)
        assert answer.status_code == 404, path
    assert db_session.scalars(select(ItemDecision)).all() == []
    logged = select(AccessLogEntry).where(AccessLogEntry.actor_email == users["oak"].email)
    assert db_session.scalars(logged).all() == []


def test_looking_at_the_review_and_schedule_is_audited_and_access_logged(client, db_session, setting):
    world, users, auth, case = setting
    assert client.get(f"{_base(case)}/review", headers=auth["caseworker"]).status_code == 200
    assert client.get(f"{_base(case)}/disclosure-schedule", headers=auth["caseworker"]).status_code == 200
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "collect.viewed")).all()
    assert [event.data["area"] for event in events][-2:] == [
        "rights_desk.review",
        "rights_desk.disclosure_schedule",
    ]
    logged = db_session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.actor_email == users["caseworker"].email)
    ).all()
    assert {(entry.person_id, entry.area) for entry in logged} == {
        (world.amelia.id, "rights_desk.review"),
        (world.amelia.id, "rights_desk.disclosure_schedule"),
    }


def test_a_case_not_in_review_answers_409_and_its_review_is_empty(client, setting):
    world, users, auth, case = setting
    fresh = amelia_case(world, users["caseworker"], requester_email="other@example.org")
    base = _base(fresh)
    review = client.get(f"{base}/review", headers=auth["elm"])
    assert review.status_code == 200 and review.get_json()["groups"] == []
    assert review.get_json()["can_decide"] is False
    body = {"item_key": key_of(case, "send"), "action": "disclose"}
    assert client.post(f"{base}/review/decisions", headers=auth["elm"], json=body).status_code == 409
    bulk = {"action": "disclose", "undecided": True}
    assert client.post(f"{base}/review/bulk", headers=auth["elm"], json=bulk).status_code == 409
    assert client.post(f"{base}/approve", headers=auth["elm"]).status_code == 409
