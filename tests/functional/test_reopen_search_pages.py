"""Reopening the search, through the console's gather page and the API: a
case in review goes back to open with its gather discarded; the console
asks for a tick first; the API answers 409 once the case is open."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.cases.models import CaseStatus
from app.collect.models import CollectedItem
from app.extensions import db
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.exports.factory import gathered_case
from tests.unit.sources.factories import build_world


@pytest.fixture
def reviewed(app, db_session):
    app.config["REDIS_URL"] = None  # the gather's jobs inline
    world = build_world(db_session)
    user, secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    case = gathered_case(world, user)
    return world, user, secret, case


def _items(case) -> int:
    return db.session.scalar(
        select(func.count()).select_from(CollectedItem).where(CollectedItem.case_id == case.id)
    )


def test_console_asks_for_the_tick_then_reopens_the_search(app, reviewed):
    _world, user, secret, case = reviewed
    client = app.test_client()
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/gather"
    shown = client.get(page).get_data(as_text=True)
    assert 'id="reopen-heading"' in shown and 'action="/console/cases/' in shown

    unticked = client.post(
        f"/console/cases/{case.id}/reopen-search", data={"csrf_token": csrf_token(client, page)}
    )
    text = html.unescape(unticked.get_data(as_text=True))
    assert unticked.status_code == 422
    assert 'href="#discard">Tick to confirm' in text and 'aria-describedby="discard-error"' in text
    db.session.expire_all()
    assert case.status is CaseStatus.IN_REVIEW and _items(case) > 0

    done = client.post(
        f"/console/cases/{case.id}/reopen-search",
        data={"csrf_token": csrf_token(client, page), "discard": "yes"},
    )
    assert done.status_code == 303 and done.headers["Location"].endswith(
        f"/console/cases/{case.id}/candidates"
    )
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN and _items(case) == 0
    assert "The search is open again" in html.unescape(
        client.get(done.headers["Location"]).get_data(as_text=True)
    )
    assert 'id="reopen-heading"' not in client.get(page).get_data(as_text=True)  # only offered in review


def test_api_reopens_once_then_answers_conflict(client, reviewed):
    _world, user, _secret, case = reviewed
    token = issue_token(user, name="elm token", days=30, actor=user).secret
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    first = client.post(f"/api/v1/cases/{case.reference}/reopen-search", headers=auth)
    assert first.status_code == 200, first.text
    body = first.get_json()
    assert body["case_status"] == "open" and body["item_count"] == 0
    again = client.post(f"/api/v1/cases/{case.reference}/reopen-search", headers=auth)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "illegal_transition"
