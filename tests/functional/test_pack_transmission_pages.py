"""Sending a portability request's pack to another organisation (Art 20(2))
through the real console (sign-in, CSRF, error summary) and the API (201,
422 by field, 409 for an access request); the link list names the
organisation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.cases.models import Case, CaseStatus
from app.exports.models import DownloadLink, LinkAudience, ResponsePack
from app.extensions import db
from app.mail.models import OutboxMessage
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.api.estate import make_user as make_api_user
from tests.unit.exports.factory import approved_without_items, stored_pack
from tests.unit.sources.factories import build_world

BIRCH = "Birch Academy"
BIRCH_EMAIL = "admissions@birch.sch.example"


@pytest.fixture
def world(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    return build_world(db_session)


def _portability(world, user, **overrides) -> Case:
    case = approved_without_items(world, user, request_type="portability", **overrides)
    stored_pack(case, user)
    return case


def case_pack_id(case: Case):
    return db.session.scalars(select(ResponsePack.id).where(ResponsePack.case_id == case.id)).one()


def _links() -> list[DownloadLink]:
    db.session.expire_all()
    return db.session.scalars(select(DownloadLink)).all()


def test_console_sends_to_the_organisation_and_shows_it_in_the_links(client, world):
    user, secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    case = _portability(world, user)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/pack"
    shown = client.get(page).text
    assert "Send it to another organisation" in shown and 'for="organisation_email"' in shown
    action = f"{page}/{case_pack_id(case)}/transmit"

    token = csrf_token(client, page)
    bad = {"csrf_token": token, "organisation_name": "", "organisation_email": "x"}
    refused = client.post(action, data=bad)
    assert refused.status_code == 422
    assert 'href="#organisation_name"' in refused.text and 'href="#organisation_email"' in refused.text
    assert 'value="x"' in refused.text and _links() == []

    sent = client.post(
        action,
        data={
            "csrf_token": csrf_token(client, page),
            "organisation_name": BIRCH,
            "organisation_email": BIRCH_EMAIL,
        },
    )
    assert sent.status_code == 303, sent.text
    by_audience = {link.audience: link for link in _links()}
    assert set(by_audience) == {LinkAudience.CONTROLLER, LinkAudience.REQUESTER}  # and their own
    assert by_audience[LinkAudience.CONTROLLER].recipient_name == BIRCH
    assert db.session.get(Case, case.id).status is CaseStatus.RESPONDED
    after = client.get(page).text
    assert f"{BIRCH}: {BIRCH_EMAIL}" in after
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.category == "pack.transmitted")).one()
    assert told.recipients == case.requester_email
    assert "its code went to the requester" in after
    summary = client.get(f"/console/cases/{case.id}").text
    assert "0 to the school, 1 to the requester, 1 to another organisation" in summary


def test_console_offers_no_transmission_for_an_access_request(client, world):
    user, secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    case = approved_without_items(world, user)
    stored_pack(case, user)
    sign_in(client, user, secret)
    assert "Send it to another organisation" not in client.get(f"/console/cases/{case.id}/pack").text


@pytest.fixture
def auth(world, db_session):
    user = make_api_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    secret = issue_token(user, name="elm token", days=30, actor=user).secret
    db_session.commit()
    return user, {"Authorization": f"Bearer {secret}"}


def test_api_sends_with_audience_controller_and_refuses_bad_input(client, world, auth):
    user, headers = auth
    case = _portability(world, user)
    path = f"/api/v1/cases/{case.reference}/packs/{case_pack_id(case)}/links"

    missing = client.post(path, headers=headers, json={"audience": "controller"})
    assert missing.status_code == 422
    assert set(missing.get_json()["error"]["fields"]) == {"organisation_name", "organisation_email"}
    stray = client.post(path, headers=headers, json={"audience": "requester", "organisation_name": BIRCH})
    assert stray.status_code == 422 and "audience" in stray.get_json()["error"]["fields"]
    assert _links() == []

    sent = client.post(
        path,
        headers=headers,
        json={"audience": "controller", "organisation_name": BIRCH, "organisation_email": BIRCH_EMAIL},
    )
    assert sent.status_code == 201, sent.text
    body = sent.get_json()
    assert body["audience"] == "controller" and body["recipient_name"] == BIRCH
    assert body["recipient_email"] == BIRCH_EMAIL
    listed = client.get(f"/api/v1/cases/{case.reference}/links", headers=headers).get_json()["items"]
    assert sorted((item["audience"], item["recipient_name"] or "") for item in listed) == [
        ("controller", BIRCH),
        ("requester", ""),
    ]


def test_api_refuses_to_send_an_access_requests_pack_to_another_organisation(client, world, auth):
    user, headers = auth
    case = approved_without_items(world, user)
    stored_pack(case, user)
    response = client.post(
        f"/api/v1/cases/{case.reference}/packs/{case_pack_id(case)}/links",
        headers=headers,
        json={"audience": "controller", "organisation_name": BIRCH, "organisation_email": BIRCH_EMAIL},
    )
    assert response.status_code == 409 and "data portability" in response.get_json()["error"]["message"]
    assert _links() == []
