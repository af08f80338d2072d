"""Art 19 over the API: the recipients a requester can be told of, and the
notices a restriction sent (by real SMTP where a contact is registered)."""

from __future__ import annotations

import json

import pytest

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.collect.models import CollectedItem
from app.extensions import db
from tests.unit.api.estate import make_user
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.recipients.factory import disclose
from tests.unit.sources.factories import build_world

OTHERS = "Others only where the law requires it"
LA = "Northshire County Council"


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None
    world = build_world(db_session)
    elm = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    secret = issue_token(elm, name="laptop", days=30, actor=elm).secret
    db.session.commit()
    case = confirmed_amelia(world, elm, request_type="restriction")
    db.session.add(
        CollectedItem(
            case_id=case.id, source="pupils", category="identity", key="pupils:identity", title="Identity",
            data_json=json.dumps({"upn": "held"}),
        )
    )  # fmt: skip
    db.session.commit()
    return world, case, {"Authorization": f"Bearer {secret}"}


def test_recipients_are_listed_before_and_after_they_are_notified(client, setting, smtp):
    world, case, auth = setting
    disclose("pupils", "identity", LA)
    path = f"/api/v1/cases/{case.reference}/recipients"
    before = client.get(path, headers=auth).get_json()
    # The school is the controller: no recipient of its own data.
    assert [r["name"] for r in before["recipients"]] == [LA, OTHERS]
    assert before["notices"] == []

    sent = len(smtp.messages)
    client.post(f"/api/v1/cases/{case.reference}/restriction", json={"reason": "Disputed."}, headers=auth)
    after = client.get(path, headers=auth).get_json()
    # "Others" is a kind of recipient: named by the register, told of nothing.
    assert {r["name"]: r["changes"] for r in after["recipients"]} == {LA: ["restriction"], OTHERS: []}
    notices = {notice["recipient_name"]: notice for notice in after["notices"]}
    assert {notice["recipient_kind"] for notice in notices.values()} == {"register"}
    assert (notices[LA]["status"], notices[LA]["channel"], notices[LA]["email"]) == (
        "pending",
        "school",
        None,
    )
    closed = notices[OTHERS]
    assert (closed["status"], closed["channel"], closed["email"], closed["sent_at"]) == (
        "no_record", "none", None, None,
    )  # fmt: skip
    # The school is asked, once, to tell the recipient we have no contact for.
    to_school = [m for m in smtp.messages[sent:] if world.elm.dp_contact_email in m.rcpt_tos]
    assert len(to_school) == 1 and case.reference in to_school[0].message["Subject"]
    text = to_school[0].message.get_body(("plain",)).get_content()
    assert f"Dear {world.elm.dp_contact_name}," in text and "Dear Elm Primary" not in text
    assert LA in text and "Pupil identity and contact details" in text
    assert OTHERS not in text  # nobody to tell
    assert world.elm.dp_contact_email not in text


def test_the_api_documents_the_closed_status_of_a_kind_of_recipient(client):
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    notice = next(value for name, value in schema.items() if name.startswith("Notice"))
    assert "no_record" in notice["properties"]["status"]["enum"]
    assert "none" in notice["properties"]["channel"]["enum"]
    assert "nobody to tell" in notice["properties"]["status"]["description"]
