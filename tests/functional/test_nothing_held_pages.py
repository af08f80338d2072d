"""Answering that we hold nothing of the subject's, through the console (a
section of "Find the person" once a search ran) and the API
(``POST /cases/{reference}/nothing-held``): field messages until the search
shows it, 409 once the case is answered, 404 outside the caller's
organisations."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.cases.models import CaseStatus
from app.collect import nothing_held, services
from app.extensions import db
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.collect.factory import amelia_case
from tests.unit.restriction.factory import letters_sent
from tests.unit.sources.factories import build_world

NOBODY = {"subject_name": "Zebedee Quartermaine", "subject_dob": date(2009, 2, 3)}


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None
    world = build_world(db_session)
    elm, elm_secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak, _ = make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    tokens = {
        who: {"Authorization": f"Bearer {issue_token(user, name='laptop', days=30, actor=user).secret}"}
        for who, user in (("elm", elm), ("oak", oak))
    }
    case = amelia_case(world, elm, **NOBODY)
    db.session.commit()
    return case, (elm, elm_secret), tokens, world


def test_console_offers_the_answer_once_the_search_found_nothing(client, setting):
    case, (user, secret), _, _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/candidates"
    assert "If none of these is the subject" not in client.get(page).text
    searched = client.post(
        f"/console/cases/{case.id}/candidates/search", data={"csrf_token": csrf_token(client, page)}
    )
    assert searched.status_code == 303
    shown = client.get(page).text
    assert "Answer: we hold no personal data about them" in shown
    assert "The search found no record of the subject" in shown
    action = f"/console/cases/{case.id}/nothing-held"
    unticked = client.post(action, data={"csrf_token": csrf_token(client, page)})
    assert unticked.status_code == 422 and 'href="#checked"' in unticked.text
    assert "Tick to confirm you checked every record found" in unticked.text
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN
    answered = client.post(action, data={"csrf_token": csrf_token(client, page), "checked": "yes"})
    assert answered.status_code == 303 and answered.headers["Location"].endswith(f"/console/cases/{case.id}")
    db.session.expire_all()
    assert case.status is CaseStatus.RESPONDED
    assert len(letters_sent(case, nothing_held.MAIL_CATEGORY)) == 1
    after = client.get(page).text
    assert "See the gather" not in after and "Answer: we hold no personal data" not in after


def test_console_shows_what_is_left_while_a_record_is_proposed(client, setting):
    _, (user, secret), _, world = setting
    case = amelia_case(world, user)  # Amelia is on Elm's roll: her record is proposed
    services.propose_candidates(case, user)
    db.session.commit()
    assert services.candidates_for(case)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/candidates"
    shown = client.get(page).text
    assert "Confirm or reject each record found for the subject first." in shown
    assert f'action="/console/cases/{case.id}/nothing-held"' not in shown
    action = f"/console/cases/{case.id}/nothing-held"
    refused = client.post(action, data={"csrf_token": csrf_token(client, page), "checked": "yes"})
    assert refused.status_code == 422 and 'href="#nothing-held-heading"' in refused.text
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN


def test_api_answers_nothing_held_with_field_messages_and_conflicts(client, setting):
    case, (user, _), tokens, _ = setting
    path = f"/api/v1/cases/{case.reference}/nothing-held"
    early = client.post(path, headers=tokens["elm"])
    assert early.status_code == 422
    assert "Search for the subject's records first" in str(early.get_json()["error"]["fields"]["case"])
    assert client.post(path, headers=tokens["oak"]).status_code == 404
    services.propose_candidates(case, user)
    db.session.commit()
    answered = client.post(path, headers=tokens["elm"])
    assert answered.status_code == 200, answered.text
    assert answered.get_json()["status"] == "responded"
    again = client.post(path, headers=tokens["elm"])
    assert again.status_code == 409
    assert len(letters_sent(case, nothing_held.MAIL_CATEGORY)) == 1


def test_console_marks_a_record_of_another_kind_than_the_request_says(client, setting):
    _, (user, secret), _, world = setting
    # A member of staff asking about herself, who ticked "parent".
    case = amelia_case(
        world, user, subject_name="Margaret Hughes", subject_dob=date(1980, 2, 3), subject_role="parent",
        requester_name="Margaret Hughes", requester_email="margaret.hughes@example.net",
        requester_relationship="self",
    )  # fmt: skip
    services.propose_candidates(case, user)
    db.session.commit()
    sign_in(client, user, secret)
    shown = client.get(f"/console/cases/{case.id}/candidates").text
    assert "whatever the request says they are (it says: parent)" in shown
    assert "Employee (employees)<br><strong>Another kind of record</strong> than the request says" in shown
    assert "Confirm or reject each record found for the subject first." in shown
    pupil = amelia_case(world, user)
    services.propose_candidates(pupil, user)
    db.session.commit()
    assert "Another kind of record" not in client.get(f"/console/cases/{pupil.id}/candidates").text


def test_answering_nothing_held_delivers_the_letter_and_tells_the_schools_contact(client, setting, smtp):
    case, (user, secret), _, world = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/candidates"
    client.post(f"/console/cases/{case.id}/candidates/search", data={"csrf_token": csrf_token(client, page)})
    answered = client.post(
        f"/console/cases/{case.id}/nothing-held",
        data={"csrf_token": csrf_token(client, page), "checked": "yes"},
    )
    assert answered.status_code == 303
    delivered = {tuple(received.rcpt_tos): received.message for received in smtp.messages}
    assert set(delivered) == {(case.requester_email,), (world.elm.dp_contact_email,)}
    letter = delivered[(case.requester_email,)].get_body(("plain",)).get_content()
    assert "We have told it that our systems hold nothing about your child Zebedee Quartermaine." in letter
    school = delivered[(world.elm.dp_contact_email,)]
    subject = " ".join(school["Subject"].split())  # folded when long
    assert subject == f"Request {case.reference}: our systems hold no personal data about the subject"
    text = school.get_body(("plain",)).get_content()
    assert "Please check your other records" in text and "Zebedee" not in text
