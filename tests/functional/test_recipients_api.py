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
from tests.unit.sources.factories import build_world


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
    path = f"/api/v1/cases/{case.reference}/recipients"
    before = client.get(path, headers=auth).get_json()
    # The school is the controller: no recipient of its own data.
    assert [r["name"] for r in before["recipients"]] == ["Others only where the law requires it"]
    assert before["notices"] == []

    sent = len(smtp.messages)
    client.post(f"/api/v1/cases/{case.reference}/restriction", json={"reason": "Disputed."}, headers=auth)
    after = client.get(path, headers=auth).get_json()
    assert {r["name"]: r["changes"] for r in after["recipients"]} == {
        "Others only where the law requires it": ["restriction"],
    }
    (notice,) = after["notices"]
    assert notice["recipient_kind"] == "register"
    assert (notice["status"], notice["channel"], notice["email"]) == ("pending", "school", None)
    # The school is asked, once, to tell the recipient we have no contact for.
    to_school = [m for m in smtp.messages[sent:] if world.elm.dp_contact_email in m.rcpt_tos]
    assert len(to_school) == 1 and case.reference in to_school[0].message["Subject"]
    text = to_school[0].message.get_body(("plain",)).get_content()
    assert f"Dear {world.elm.dp_contact_name}," in text and "Dear Elm Primary" not in text
    assert "Others only where the law requires it" in text and "Pupil identity and contact details" in text
    assert world.elm.dp_contact_email not in text
