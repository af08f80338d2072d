"""Console case list and case page: scoped, the clock and timeline shown,
action forms with CSRF, an error summary for bad input, 409 for an illegal move."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.cases.models import CaseStatus
from app.console.services import case_list
from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboxMessage
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
    assert "Subject access request for Oak Primary." in text and "(parent or carer)" in text


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
        f"{path}/pause",
        data={"csrf_token": token, "pause-reason": "other", "pause-question": "", "pause-asked_on": "soon"},
    )
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert 'href="#pause-question"' in response.text and 'href="#pause-asked_on"' in response.text


def test_identity_decision_errors_say_what_to_do(app, world):
    client = _client(app, *world["cw"])
    case = world["willow_case"]  # awaiting identity; a parent asking for their child
    path = f"/console/cases/{case.id}"

    def refused(data: dict) -> list[tuple[str, str]]:
        token = csrf_token(client, path)
        response = client.post(f"{path}/identity", data={"csrf_token": token, **data})
        assert response.status_code == 422
        summary = response.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
        return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)

    authority = {"identity-authority_evidence": "Named as mother on the admission form."}
    parental_responsibility = (
        "Enter how parental responsibility was confirmed (for example, the contact record the school "
        "holds or a birth certificate)"
    )
    nothing_chosen = refused({})
    assert ("identity-decision", "Choose whether identity is confirmed or not proven") in nothing_chosen
    assert ("identity-method", "Choose how identity was confirmed") in nothing_chosen
    no_method = refused(
        {"identity-decision": "accept", "identity-method": "", "identity-reason": "Seen.", **authority}
    )
    assert no_method == [("identity-method", "Choose how identity was confirmed")]
    # Every missing answer at once, not one per attempt, in the form's order.
    neither = refused({"identity-decision": "accept", "identity-method": "", "identity-reason": ""})
    assert neither == [
        ("identity-method", "Choose how identity was confirmed"),
        ("identity-reason", "Say what was seen, or why the school knows the person"),
        ("identity-authority_evidence", parental_responsibility),
    ]
    no_authority = refused(
        {"identity-decision": "accept", "identity-method": "known_to_school", "identity-reason": "Known."}
    )
    assert no_authority == [("identity-authority_evidence", parental_responsibility)]
    db.session.expire_all()
    assert case.status is CaseStatus.AWAITING_IDENTITY


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


def _finish(case, status: CaseStatus, closed: date | None = None) -> None:
    """Move ``case`` straight to an answered or ended status (test data)."""
    case.status = status
    if closed:
        case.closed_at = datetime(closed.year, closed.month, closed.day, 12, tzinfo=UTC)
    db.session.commit()


def test_answered_cases_are_listed_apart_from_those_to_answer(app, world):
    caseworker, secret = world["cw"]
    closed = new_case(world["oak"], requester_email="c@example.net", received_on=date(2024, 6, 3))
    _finish(closed, CaseStatus.CLOSED, date(2024, 7, 1))
    withdrawn = new_case(world["willow"], requester_email="d@example.net", received_on=date(2024, 8, 5))
    _finish(withdrawn, CaseStatus.WITHDRAWN)
    client = _client(app, caseworker, secret)

    to_answer = client.get("/console/").text
    # Due in July 2024, earlier than both open cases: listed first before, now not at all.
    assert closed.reference not in to_answer and withdrawn.reference not in to_answer
    assert world["oak_case"].reference in to_answer and world["willow_case"].reference in to_answer
    assert 'aria-current="page">To answer (2)</a>' in to_answer and "Answered or ended (2)</a>" in to_answer

    answered = client.get("/console/?show=answered").text
    table = answered.split("<tbody>", 1)[1]
    assert world["oak_case"].reference not in table and world["willow_case"].reference not in table
    assert table.index(withdrawn.reference) < table.index(closed.reference)  # newest received first
    assert "1 July 2024" in table and "3 June 2024" in table
    assert 'aria-current="page">Answered or ended (2)</a>' in answered

    school_user, school_secret = make_user("head@oak.example.org", Role.SCHOOL, world["oak"])
    school = _client(app, school_user, school_secret).get("/console/?show=answered").text
    assert closed.reference in school and withdrawn.reference not in school and "To answer (1)" in school


def test_the_case_list_pages_and_ignores_a_bad_page_number(app, world):
    caseworker, secret = world["cw"]
    for number in range(3):
        new_case(
            world["oak"], requester_email=f"p{number}@example.net", received_on=date(2024, 10, 1 + number)
        )
    listing = case_list(caseworker, per_page=2)
    assert (listing.page, listing.pages, listing.to_answer, len(listing.rows)) == (1, 3, 5, 2)
    last = case_list(caseworker, per_page=2, page=3)
    assert len(last.rows) == 1 and case_list(caseworker, per_page=2, page=99).rows == last.rows
    seen = [row.reference for page in (1, 2, 3) for row in case_list(caseworker, per_page=2, page=page).rows]
    assert len(set(seen)) == 5  # every case once

    client = _client(app, caseworker, secret)
    for page in ("0", "-1", "two", "²", "9" * 5000, "99999999"):
        response = client.get("/console/", query_string={"page": page})
        assert response.status_code == 200 and world["oak_case"].reference in response.text, page


def test_a_case_is_found_by_its_reference(app, world):
    caseworker, secret = world["cw"]
    client = _client(app, caseworker, secret)
    oak_case, willow_case = world["oak_case"], world["willow_case"]
    typed = f"  {oak_case.reference.lower()} "
    found = client.get("/console/", query_string={"reference": typed})
    assert found.status_code == 303 and found.headers["Location"].endswith(f"/console/cases/{oak_case.id}")

    missing = client.get("/console/", query_string={"reference": "SAR-2099-000001"})
    assert missing.status_code == 404
    summary = missing.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#reference"' in summary and "There is no case SAR-2099-000001" in summary
    assert 'value="SAR-2099-000001"' in missing.text  # what was typed is kept
    assert client.get("/console/", query_string={"reference": "not a reference"}).status_code == 404
    empty = client.get("/console/", query_string={"reference": " "})
    assert empty.status_code == 422 and "Enter a case reference" in empty.text

    school_user, school_secret = make_user("head@oak.example.org", Role.SCHOOL, world["oak"])
    school = _client(app, school_user, school_secret)
    hidden = school.get("/console/", query_string={"reference": willow_case.reference})
    assert hidden.status_code == 404 and f"There is no case {willow_case.reference}" in hidden.text


def test_an_answered_case_is_closed_from_its_page(app, world):
    caseworker, secret = world["cw"]
    client = _client(app, caseworker, secret)
    case = world["oak_case"]
    path = f"/console/cases/{case.id}"
    assert 'id="close-heading"' not in client.get(path).text  # still to be answered
    token = csrf_token(client, path)
    early = client.post(f"{path}/close", data={"close-csrf_token": token})
    assert early.status_code == 409 and "error-summary" in early.text

    _finish(case, CaseStatus.RESPONDED)
    page = client.get(path).text
    assert "Close the case</a>" in page and 'href="/console/cases/' in page  # the next action
    assert "questions about the response are answered" in page and "destroyed 30 days after closing" in page
    closes_on = (utcnow() + timedelta(days=30)).date()
    assert f"Otherwise it closes by itself on {closes_on.day} {closes_on:%B %Y}" in page
    done = client.post(f"{path}/close", data={"close-csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith(path)
    db.session.expire_all()
    assert case.status is CaseStatus.CLOSED and case.closed_at is not None
    assert "The case is closed." in client.get(path).text
    assert case.reference in client.get("/console/?show=answered").text


def test_withdrawal_needs_staff_to_say_it_was_asked_for_and_is_confirmed_to_the_requester(app, world):
    caseworker, secret = world["cw"]
    client = _client(app, caseworker, secret)
    case = world["oak_case"]
    path = f"/console/cases/{case.id}"
    token = csrf_token(client, path)
    unconfirmed = client.post(f"{path}/withdraw", data={"withdraw-csrf_token": token})
    assert unconfirmed.status_code == 422
    summary = unconfirmed.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#withdraw-asked"' in summary and "Say how the requester asked to withdraw" in summary
    assert '<label class="label" for="withdraw-asked">How did the requester ask' in unconfirmed.text
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN

    odd = client.post(f"{path}/withdraw", data={"withdraw-csrf_token": token, "withdraw-asked": "y"})
    assert odd.status_code == 422
    done = client.post(f"{path}/withdraw", data={"withdraw-csrf_token": token, "withdraw-asked": "letter"})
    assert done.status_code == 302
    db.session.expire_all()
    assert case.status is CaseStatus.WITHDRAWN
    assert [e for e in case.events if e.kind == "status_changed"][-1].data["asked_by"] == "letter"
    [told] = db.session.scalars(
        select(OutboxMessage).filter_by(case_id=case.id, category="case.withdrawal_confirmed")
    )
    assert told.recipient_list == [case.requester_email]
    assert told.subject == f"Your request {case.reference}: withdrawn as you asked"
    assert "If you did not ask for this, please reply" in told.text_body
    assert "As you asked by letter, we have withdrawn your request." in told.text_body
