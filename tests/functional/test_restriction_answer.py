"""Answering a restriction or objection request, through the console (real
sign-in and CSRF) and the API: refused with the reason until the work is
done, then the requester's letter goes and the case is responded; another
school's case is not found, and an access request is not answered so."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.cases.models import CaseStatus
from app.extensions import db
from app.mail.models import OutboxMessage
from app.restriction import answers, objections, services
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.api import estate
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.sources.factories import build_world


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None
    world = build_world(db_session)
    user, secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    case = confirmed_amelia(world, user, request_type="restriction")
    return world, case, user, secret


ANSWERS = (answers.RESTRICTION_MAIL_CATEGORY, answers.OBJECTION_MAIL_CATEGORY)


def _letters(case) -> list[OutboxMessage]:
    """The answers sent (the acknowledgement and the school's notice aside)."""
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == case.id, OutboxMessage.category.in_(ANSWERS))
    ).all()


def test_answer_in_the_console_refused_then_sent(client, setting):
    _world, case, user, secret = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/restriction"
    html = client.get(page).text
    assert 'id="answer-heading"' in html and "Restrict the subject&#39;s records before sending" in html
    action = f"{page}/answer"
    refused = client.post(action, data={"csrf_token": csrf_token(client, page)})
    assert refused.status_code == 422
    assert 'href="#answer"' in refused.text and 'id="answer-error"' in refused.text
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN and not _letters(case)

    services.restrict(case, user, "The parent disputes the attendance marks.")
    db.session.commit()
    case_page = client.get(f"/console/cases/{case.id}").text
    assert "Send the answer to the requester" in case_page and "Start the gather" not in case_page
    sent = client.post(action, data={"csrf_token": csrf_token(client, page)})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/console/cases/{case.id}")
    followed = client.get(sent.headers["Location"]).text
    assert "The answer has been sent to the requester" in followed and "Close the case" in followed
    db.session.expire_all()
    assert case.status is CaseStatus.RESPONDED
    assert [m.category for m in _letters(case)] == [answers.RESTRICTION_MAIL_CATEGORY]
    assert "the requester has been sent the answer" in client.get(page).text


def test_answer_in_the_console_needs_the_form_token(client, setting):
    _world, case, user, secret = setting
    sign_in(client, user, secret)
    services.restrict(case, user, "Accuracy disputed.")
    db.session.commit()
    assert client.post(f"/console/cases/{case.id}/restriction/answer").status_code == 400
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN


@pytest.fixture
def api_setting(app, db_session):
    app.config["REDIS_URL"] = None
    world = build_world(db_session)
    elm = estate.make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak = estate.make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    auth = {
        who: {"Authorization": f"Bearer {issue_token(user, name='laptop', days=30, actor=user).secret}"}
        for who, user in (("elm", elm), ("oak", oak))
    }
    db.session.commit()
    return world, elm, auth


def test_answer_an_objection_over_the_api(client, api_setting):
    world, elm, auth = api_setting
    case = confirmed_amelia(world, elm, request_type="objection")
    path = f"/api/v1/cases/{case.reference}/answer"
    objection = objections.record_objection(case, elm, purpose="Attendance reports to the council")
    db.session.commit()
    pending = client.post(path, headers=auth["elm"])
    assert pending.status_code == 422 and "case" in pending.get_json()["error"]["fields"]
    assert client.post(path, headers=auth["oak"]).status_code == 404

    objections.decide_objection(case, objection, elm, uphold=False, grounds="Needed to safeguard pupils.")
    db.session.commit()
    answered = client.post(path, headers=auth["elm"])
    assert answered.status_code == 200, answered.text
    assert answered.get_json()["status"] == "responded"
    (letter,) = _letters(case)
    assert letter.category == answers.OBJECTION_MAIL_CATEGORY
    assert "Our grounds: Needed to safeguard pupils." in letter.text_body and "ICO" in letter.text_body
    again = client.post(path, headers=auth["elm"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "illegal_transition"


def test_answer_over_the_api_is_refused_for_an_access_request(client, api_setting):
    world, elm, auth = api_setting
    case = confirmed_amelia(world, elm, request_type="access")
    refused = client.post(f"/api/v1/cases/{case.reference}/answer", headers=auth["elm"])
    assert (
        refused.status_code == 409
        and "only restriction and objection" in refused.get_json()["error"]["message"]
    )
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN and not _letters(case)
