"""Console case list and case page: scoped, the clock and timeline shown,
action forms with CSRF, an error summary for bad input, 409 for an illegal move."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts.models import Role
from app.cases.models import CaseStatus
from app.extensions import db
from tests.signin import csrf_token, make_organisation, make_user, sign_in
from tests.unit.cases.factory import new_case, opened_case


@pytest.fixture
def world(app, db_session):
    oak = make_organisation("Oak Primary")
    willow = make_organisation("Willow Academy")
    db_session.commit()
    caseworker, secret = make_user("cw@example.org", Role.CASEWORKER)
    oak_case = opened_case(oak, caseworker, received_on=date(2024, 11, 25))
    willow_case = new_case(willow, requester_email="w@example.net", received_on=date(2024, 9, 3))
    return {
        "oak": oak,
        "willow": willow,
        "cw": (caseworker, secret),
        "oak_case": oak_case,
        "willow_case": willow_case,
    }


def _client(app, user, secret):
    client = app.test_client()
    sign_in(client, user, secret)
    return client


def test_case_list_shows_scoped_cases_sorted_by_due_date(app, world):
    client = _client(app, *world["cw"])
    page = client.get("/console/").text
    willow, oak = world["willow_case"].reference, world["oak_case"].reference
    assert page.index(willow) < page.index(oak)  # due 3 Oct before 27 Dec
    assert "27 December 2024" in page and f"/console/cases/{world['oak_case'].id}" in page
    school_user, secret = make_user("head@oak.example.org", Role.SCHOOL, world["oak"])
    school_page = _client(app, school_user, secret).get("/console/").text
    assert oak in school_page and willow not in school_page


def test_case_page_shows_the_clock_and_timeline(app, world):
    client = _client(app, *world["cw"])
    page = client.get(f"/console/cases/{world['oak_case'].id}")
    assert page.status_code == 200
    text = page.text
    assert "25 November 2024" in text and "27 December 2024" in text
    assert "Christmas Day" in text and "Boxing Day" in text
    assert "Timeline" in text and "awaiting identity to open" in text
    assert "Sam Pupil" in text


def test_case_of_another_organisation_is_not_found(app, world):
    school_user, secret = make_user("head@oak.example.org", Role.SCHOOL, world["oak"])
    client = _client(app, school_user, secret)
    assert client.get(f"/console/cases/{world['willow_case'].id}").status_code == 404
    token = csrf_token(client, "/console/account")
    response = client.post(f"/console/cases/{world['willow_case'].id}/withdraw", data={"csrf_token": token})
    assert response.status_code == 404


def test_pause_form_sends_the_question_and_pauses(app, world):
    client = _client(app, *world["cw"])
    path = f"/console/cases/{world['oak_case'].id}"
    token = csrf_token(client, path)
    response = client.post(
        f"{path}/pause",
        data={"csrf_token": token, "pause-reason": "clarify_dates", "pause-question": "Which school years?"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert world["oak_case"].status is CaseStatus.PAUSED
    page = client.get(path).text
    assert "Which school years?" in page and "Paused" in page


def test_bad_input_shows_an_error_summary_linked_to_the_field(app, world):
    client = _client(app, *world["cw"])
    path = f"/console/cases/{world['oak_case'].id}"
    token = csrf_token(client, path)
    response = client.post(
        f"{path}/extend", data={"csrf_token": token, "extend-reason": "", "extend-notice_on": "soon"}
    )
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert 'href="#extend-reason"' in response.text and 'href="#extend-notice_on"' in response.text


def test_illegal_move_answers_409_with_the_states_named(app, world):
    client = _client(app, *world["cw"])
    path = f"/console/cases/{world['oak_case'].id}"
    token = csrf_token(client, path)
    response = client.post(f"{path}/resume", data={"csrf_token": token})
    assert response.status_code == 409
    assert "only a paused case resumes" in response.text


def test_post_without_csrf_token_is_refused(app, world):
    client = _client(app, *world["cw"])
    response = client.post(f"/console/cases/{world['oak_case'].id}/withdraw", data={})
    assert response.status_code == 400
    db.session.expire_all()
    assert world["oak_case"].status is CaseStatus.OPEN


def test_assign_from_the_case_page_and_reminders_target(app, world):
    caseworker, secret = world["cw"]
    client = _client(app, caseworker, secret)
    page = f"/console/cases/{world['oak_case'].id}"
    assert "Who works this case" in client.get(page).text
    response = client.post(
        f"{page}/assign",
        data={"csrf_token": csrf_token(client, page), "assign-assignee_id": str(caseworker.id)},
        follow_redirects=True,
    )
    assert "Assignment saved." in response.text
    db.session.expire_all()
    assert world["oak_case"].assignee_id == caseworker.id
    bad = client.post(
        f"{page}/assign", data={"csrf_token": csrf_token(client, page), "assign-assignee_id": "nope"}
    )
    assert bad.status_code == 422 and "Choose a member of the company" in bad.text
    school_user, school_secret = make_user("office@oak.example.org", Role.SCHOOL, world["oak"])
    school_page = _client(app, school_user, school_secret).get(page).text
    assert "Who works this case" not in school_page
