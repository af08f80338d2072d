"""The case page's summary through real sign-in: the next action for each
step, the systems searched and the pack's state, and the progress JSON its
script follows while a gather runs (same scoping as the page)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.cases.models import CaseStatus
from app.exports import links
from app.extensions import db
from app.jobs import Job, JobStatus
from app.jobs.runner import run_inline_many
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.cases.factory import new_case
from tests.unit.collect.factory import candidate_for, confirmed_amelia
from tests.unit.exports.factory import approved_without_items, stored_pack
from tests.unit.sources.factories import MOTHER_EMAIL, TWINS_BORN, build_world


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline unless a test says otherwise
    world = build_world(db_session)
    elm = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak = make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    return world, elm, oak


def _signed_in(client, user_and_secret):
    sign_in(client, *user_and_secret)
    return client


def _next_action(html: str) -> str:
    """The text of the "Next action" panel, tags stripped."""
    panel = re.search(r'<section aria-labelledby="next-heading".*?</section>', html, re.S)
    assert panel, "no next action panel"
    return " ".join(re.sub(r"<[^>]+>", " ", panel.group(0)).split())


def test_case_page_leads_with_the_identity_decision_and_loads_only_its_own_scripts(client, setting):
    world, elm, _ = setting
    case = new_case(world.elm, subject_name="Amelia O'Brien-Núñez", subject_dob=TWINS_BORN)
    html = _signed_in(client, elm).get(f"/console/cases/{case.id}").text
    assert case.status is CaseStatus.AWAITING_IDENTITY
    assert _next_action(html).startswith("Next action Decide identity")
    assert f'href="/console/cases/{case.id}#identity-heading"' in html and 'id="identity-heading"' in html
    assert 'data-live="false"' in html and "Refresh" not in html
    assert "No system has been searched yet." in html and "Not built yet" in html
    scripts = re.findall(r"<script[^>]*>", html)
    # The forms' script every console page loads, then the case page's own.
    assert scripts == [
        '<script src="/static/js/forms.js" defer>',
        '<script src="/static/js/case-progress.js" defer>',
    ]


def test_open_case_asks_to_confirm_the_matches_found(client, db_session, setting):
    world, elm, _ = setting
    case = confirmed_amelia(world, elm[0])
    candidate = candidate_for(case, world.amelia.id)
    candidate.decision = type(candidate.decision).PROPOSED
    db_session.commit()
    html = _signed_in(client, elm).get(f"/console/cases/{case.id}").text
    assert _next_action(html).startswith("Next action Confirm matches")
    assert "2 possible records of the subject found, 0 confirmed." in html


def test_queued_gather_is_followed_live_until_it_finishes(app, client, setting):
    world, elm, _ = setting
    case = confirmed_amelia(world, elm[0])
    _signed_in(client, elm)
    candidates = f"/console/cases/{case.id}/candidates"
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/4"  # queued, but nothing runs them
    client.post(f"/console/cases/{case.id}/gather", data={"csrf_token": csrf_token(client, candidates)})
    app.config["REDIS_URL"] = None

    page = client.get(f"/console/cases/{case.id}").text
    assert 'data-live="true"' in page and 'data-poll-seconds="2"' in page
    assert f'data-progress-url="/console/cases/{case.id}/progress"' in page
    assert '<p id="live-status" class="case-summary__status" aria-live="polite">Gathering: 0 of 7' in page
    assert f'<a href="/console/cases/{case.id}" id="refresh-link">Refresh' in page
    assert _next_action(page).startswith("Next action Wait for the gather 7 systems still to finish")
    queued_row = re.search(r'<tr data-source="pupils">.*?</tr>', page, re.S).group(0)
    assert "Queued" in queued_row and '<td data-field="items" class="numeric">\N{EN DASH}</td>' in queued_row

    running = client.get(f"/console/cases/{case.id}/progress")
    assert running.status_code == 200 and running.headers["Cache-Control"] == "no-store"
    data = running.get_json()
    assert data["live"] is True and data["case_status"] == "gathering"
    assert data["message"].startswith("Gathering: 0 of 7 systems searched")
    assert {line["status"] for line in data["sources"]} == {"queued"} and len(data["sources"]) == 7

    queued = db.session.scalars(select(Job.id).where(Job.status == JobStatus.QUEUED)).all()
    run_inline_many(app, queued)  # what a worker would do
    db.session.expire_all()  # requests here share the test's session
    done = client.get(f"/console/cases/{case.id}/progress").get_json()
    assert done["live"] is False and done["case_status"] == "in_review", done
    assert re.fullmatch(r"Every system has been searched: \d+ items collected\.", done["message"])
    assert {line["status_label"] for line in done["sources"]} == {"Done"}
    assert all(re.fullmatch(r"\d+", line["count"]) for line in done["sources"])
    after = client.get(f"/console/cases/{case.id}").text
    assert 'data-live="false"' in after and "Refresh" not in after
    done_row = re.search(r'<tr data-source="pupils">.*?</tr>', after, re.S).group(0)
    assert re.search(r'<td data-field="items" class="numeric">\d+</td>', done_row) and ">Done<" in done_row
    assert re.match(r"Next action Review \d+ items", _next_action(after))
    assert f'href="/console/cases/{case.id}/review"' in after


def test_approved_case_shows_the_pack_then_the_links_sent(client, setting):
    world, elm, _ = setting
    case = approved_without_items(world, elm[0], requester_email=MOTHER_EMAIL)
    _signed_in(client, elm)
    before = client.get(f"/console/cases/{case.id}").text
    assert _next_action(before).startswith("Next action Build the pack")
    assert f'href="/console/cases/{case.id}/pack"' in before

    pack = stored_pack(case, elm[0])
    ready = client.get(f"/console/cases/{case.id}").text
    assert _next_action(ready).startswith("Next action Send the link")
    assert f'href="/console/cases/{case.id}/pack#send-heading"' in ready
    assert "Version 1 ready, built" in ready

    links.send_pack(pack, "school", elm[0])
    db.session.commit()
    sent = client.get(f"/console/cases/{case.id}").text
    assert _next_action(sent).startswith("Next action Send the response to the requester")
    assert "1 to the school, 0 to the requester" in sent
    assert re.search(r"<dt>Downloads</dt><dd>0</dd>", sent)


def test_progress_is_not_found_for_another_school_and_needs_sign_in(app, setting):
    world, elm, oak = setting
    case = confirmed_amelia(world, elm[0])
    anonymous = app.test_client().get(f"/console/cases/{case.id}/progress")
    assert anonymous.status_code == 302 and "/console/sign-in" in anonymous.headers["Location"]
    other = _signed_in(app.test_client(), oak)
    assert other.get(f"/console/cases/{case.id}/progress").status_code == 404
    assert other.get(f"/console/cases/{case.id}").status_code == 404


def test_queued_pack_build_is_followed_and_waited_for(app, client, setting):
    world, elm, _ = setting
    case = approved_without_items(world, elm[0])
    _signed_in(client, elm)
    pack_page = f"/console/cases/{case.id}/pack"
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/4"  # queued, but nothing runs it
    client.post(f"{pack_page}/build", data={"csrf_token": csrf_token(client, pack_page)})
    app.config["REDIS_URL"] = None

    page = client.get(f"/console/cases/{case.id}").text
    assert 'data-live="true"' in page and "Version 1 is being built" in page
    assert 'aria-live="polite">The response pack is being built.</p>' in page
    assert _next_action(page).startswith("Next action Wait for the pack")
    data = client.get(f"/console/cases/{case.id}/progress").get_json()
    assert data["live"] is True and data["pack"] == {"status": "building", "building": True}
    assert data["next_action"] == "Wait for the pack"
