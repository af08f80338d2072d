"""A rectification case over the API: propose (422 with the field's message
for a bad value), list the diff, decide, approve, apply (jobs inline) and
download the confirmation letter; 409 for the lifecycle, 404 outside the
caller's organisations."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.extensions import db
from app.mail.models import OutboxMessage
from app.sources.pupils.models import Pupil
from tests.unit.api.estate import make_user
from tests.unit.rectification.factory import rectification_case
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
    auth = {key: {"Authorization": f"Bearer {secret}"} for key, secret in secrets.items()}
    case = rectification_case(world, users["caseworker"])
    return world, case, auth


def _body(world, field, value):
    return {"kind": "pupil", "record_id": str(world.amelia.id), "field": field, "value": value}


def test_propose_decide_approve_apply_and_download(client, setting):
    world, case, auth = setting
    base = f"/api/v1/cases/{case.reference}/rectification"

    overview = client.get(base, headers=auth["elm"]).get_json()
    assert overview["status"] == "in_review" and overview["proposals"] == [] and overview["letter"] is None
    (record,) = overview["records"]
    assert record["record_id"] == str(world.amelia.id)
    assert "date_of_birth" in {choice["name"] for choice in record["choices"]}

    made = client.post(f"{base}/proposals", headers=auth["elm"], json=_body(world, "postcode", "ls2 7ew"))
    assert made.status_code == 201, made.text
    postcode = made.get_json()
    assert (postcode["before"], postcode["after"], postcode["status"]) == ("LS1 4AP", "LS2 7EW", "proposed")
    kept = client.post(f"{base}/proposals", headers=auth["elm"], json=_body(world, "middle_names", "Rosa"))
    middle = kept.get_json()

    early = client.post(f"{base}/approve", headers=auth["elm"])
    assert early.status_code == 409, early.text

    no_reason = client.post(
        f"{base}/decisions", headers=auth["elm"], json={"proposal_id": middle["id"], "decision": "refuse"}
    )
    assert no_reason.status_code == 422
    assert "reason" in no_reason.get_json()["error"]["fields"]
    refused = client.post(
        f"{base}/decisions",
        headers=auth["elm"],
        json={
            "proposal_id": middle["id"],
            "decision": "refuse",
            "reason": "Rose is on her birth certificate.",
        },
    )
    assert refused.status_code == 200 and refused.get_json()["status"] == "refused"
    approved = client.post(
        f"{base}/decisions", headers=auth["elm"], json={"proposal_id": postcode["id"], "decision": "approve"}
    )
    assert approved.get_json()["status"] == "approved"

    assert client.post(f"{base}/approve", headers=auth["elm"]).get_json()["status"] == "approved"
    applied = client.post(f"{base}/apply", headers=auth["elm"])
    assert applied.status_code == 202, applied.text
    result = applied.get_json()
    assert result["status"] == "responded"  # the inline job has finished
    assert {p["field"]: p["status"] for p in result["proposals"]} == {
        "postcode": "applied",
        "middle_names": "refused",
    }
    assert result["letter"]["version"] == 1 and result["letter"]["destroyed_at"] is None
    assert db.session.get(Pupil, world.amelia.id, populate_existing=True).postcode == "LS2 7EW"

    letter = client.get(f"{base}/confirmation", headers=auth["elm"])
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    assert letter.headers["Content-Disposition"].startswith("attachment;")
    text = " ".join(PdfReader(io.BytesIO(letter.data)).pages[0].extract_text().split())
    assert "LS1 4AP LS2 7EW" in text and "Rose is on her birth certificate." in text

    # The requester is answered by email: which fields, never their values.
    [answer] = db.session.scalars(select(OutboxMessage).filter_by(category="case.rectification_done"))
    assert answer.case_id == case.id and answer.recipient_list == [case.requester_email]
    corrected, not_changed = answer.text_body.split("WHAT WE DID NOT CHANGE, AND WHY", 1)
    assert "Postcode" in corrected and "Middle names" in not_changed
    assert "Rose is on her birth certificate." in not_changed
    assert "LS2 7EW" not in answer.text_body and "LS1 4AP" not in answer.text_body

    again = client.post(f"{base}/apply", headers=auth["elm"])
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("upn", "A12345678901Z", "is not a valid UPN"),
        ("date_of_birth", "2016-02-30", "is not a date (YYYY-MM-DD)"),
        ("postcode", "nowhere", "is not a UK postcode"),
    ],
)
def test_bad_value_answers_422_with_the_fields_message(client, setting, field, value, message):
    world, case, auth = setting
    answer = client.post(
        f"/api/v1/cases/{case.reference}/rectification/proposals",
        headers=auth["elm"],
        json=_body(world, field, value),
    )
    assert answer.status_code == 422, answer.text
    (text,) = answer.get_json()["error"]["fields"]["value"]
    assert message in text


def test_unknown_field_and_unconfirmed_record_answer_422(client, setting):
    world, case, auth = setting
    url = f"/api/v1/cases/{case.reference}/rectification/proposals"
    unknown = client.post(url, headers=auth["elm"], json=_body(world, "fsm_eligible", "true"))
    assert "field" in unknown.get_json()["error"]["fields"]
    other = {**_body(world, "postcode", "LS2 7EW"), "record_id": str(world.isla.id)}
    answer = client.post(url, headers=auth["elm"], json=other)
    assert answer.status_code == 422 and "record_id" in answer.get_json()["error"]["fields"]


def test_other_organisation_sees_nothing(client, setting):
    world, case, auth = setting
    base = f"/api/v1/cases/{case.reference}/rectification"
    assert client.get(base, headers=auth["oak"]).status_code == 404
    made = client.post(f"{base}/proposals", headers=auth["oak"], json=_body(world, "postcode", "LS2 7EW"))
    assert made.status_code == 404
    assert client.get(f"{base}/confirmation", headers=auth["oak"]).status_code == 404


def test_confirmation_before_applying_is_not_found(client, setting):
    _world, case, auth = setting
    answer = client.get(f"/api/v1/cases/{case.reference}/rectification/confirmation", headers=auth["elm"])
    assert answer.status_code == 404
