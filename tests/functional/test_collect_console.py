"""Finding and gathering in the console: the "Find the person" page, confirm
and reject buttons, starting the gather, the progress page and the items,
through real sign-in and CSRF, from the real stores."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.cases.models import CaseStatus
from app.collect.models import Decision, RunStatus, SourceRun
from app.extensions import db
from app.sources.access_log.models import AccessLogEntry
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.collect.factory import amelia_case, candidate_for
from tests.unit.sources.factories import build_world


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    world = build_world(db_session)
    elm_user, elm_secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak_user, oak_secret = make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    case = amelia_case(world, elm_user)
    return world, case, (elm_user, elm_secret), (oak_user, oak_secret)


def _post(client, page: str, action: str, **data):
    return client.post(action, data={"csrf_token": csrf_token(client, page), **data})


def test_find_confirm_and_gather_in_the_console(client, db_session, setting):
    world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/candidates"

    empty = client.get(page)
    assert empty.status_code == 200 and "Search the records" in empty.text

    searched = _post(client, page, f"{page}/search")
    assert searched.status_code == 303 and searched.headers["Location"].endswith(page)
    listing = client.get(page)
    html = listing.text
    assert "Amelia O&#39;Brien-Núñez" in html and "0.85" in html and "dob exact" in html
    assert re.search(r"<caption[^>]*>The subject: 2 possible records</caption>", html)
    assert "Start gathering" in html and html.count('value="confirm"') == 3
    assert html.count('src="/static/js/forms.js"') == 1  # the console layout's, not a copy of its own

    amelia = candidate_for(case, world.amelia.id)
    isla = candidate_for(case, world.isla.id)
    assert (
        _post(client, page, f"{page}/decide", candidate_id=str(amelia.id), decision="confirm").status_code
        == 303
    )
    assert (
        _post(client, page, f"{page}/decide", candidate_id=str(isla.id), decision="reject").status_code == 303
    )
    db.session.expire_all()
    assert (amelia.decision, isla.decision) == (Decision.CONFIRMED, Decision.REJECTED)

    started = _post(client, page, f"/console/cases/{case.id}/gather")
    assert started.status_code == 303 and started.headers["Location"].endswith(f"/cases/{case.id}/gather")
    db.session.expire_all()
    assert case.status is CaseStatus.IN_REVIEW

    progress = client.get(f"/console/cases/{case.id}/gather")
    assert progress.status_code == 200 and "Refresh" not in progress.headers  # nothing left running
    assert "Systems searched" in progress.text and "Every system has been searched" in progress.text
    assert progress.text.count(">Done") == 7

    items = client.get(f"/console/cases/{case.id}/items")
    assert items.status_code == 200 and "Attendance" in items.text and "<caption" in items.text
    looks = db_session.scalars(select(AccessLogEntry).where(AccessLogEntry.actor_email == user.email)).all()
    assert {entry.area for entry in looks} == {"rights_desk.candidates", "rights_desk.collected_items"}


def test_gather_page_refreshes_while_running_and_offers_retry_when_failed(client, db_session, setting):
    world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/candidates"
    _post(client, page, f"{page}/search")
    amelia = candidate_for(case, world.amelia.id)
    _post(client, page, f"{page}/decide", candidate_id=str(amelia.id), decision="confirm")
    client.application.config["REDIS_URL"] = "redis://127.0.0.1:1/4"  # queued, but nothing runs them
    _post(client, page, f"/console/cases/{case.id}/gather")
    client.application.config["REDIS_URL"] = None

    running = client.get(f"/console/cases/{case.id}/gather")
    assert running.headers["Refresh"] == "5" and "Queued" in running.text and "Retry" not in running.text

    run = db_session.scalars(
        select(SourceRun).where(SourceRun.case_id == case.id, SourceRun.source == "pupils")
    ).one()
    run.status, run.error_code, run.error_message = (
        RunStatus.FAILED,
        "OperationalError",
        "Could not be collected.",
    )
    db_session.commit()
    failed = client.get(f"/console/cases/{case.id}/gather")
    assert "Could not be collected." in failed.text and "Retry" in failed.text

    retried = _post(
        client, f"/console/cases/{case.id}/gather", f"/console/cases/{case.id}/gather/retry", source="pupils"
    )
    assert retried.status_code == 303
    db.session.expire_all()
    assert run.status is RunStatus.DONE and run.attempt == 1
    retries = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "collect.source_retried")
    ).all()
    assert [event.data for event in retries] == [{"source": "pupils"}]


def test_gather_page_with_a_forms_error_shows_it_and_does_not_refresh_while_running(
    app, client, db_session, setting
):
    # One page for the gather view and a form on it that is refused (reopening
    # the search unticked): the refusal is the same page with its error
    # summary, and does not refresh, which would reload the form's address.
    from app.console.collect import gather_page

    world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/candidates"
    _post(client, page, f"{page}/search")
    _post(
        client,
        page,
        f"{page}/decide",
        candidate_id=str(candidate_for(case, world.amelia.id).id),
        decision="confirm",
    )
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/4"  # queued, but nothing runs them
    _post(client, page, f"/console/cases/{case.id}/gather")
    app.config["REDIS_URL"] = None
    db_session.expire_all()
    with app.test_request_context(f"/console/cases/{case.id}/gather"):
        running = gather_page(case)
        refused = gather_page(case, [("discard", "Tick to confirm")], 422, reopen_error="Tick to confirm")
    assert (running.status_code, running.headers["Refresh"]) == (200, "5")
    assert "error-summary" not in running.get_data(as_text=True)
    assert refused.status_code == 422 and "Refresh" not in refused.headers
    text = refused.get_data(as_text=True)
    assert 'href="#discard">Tick to confirm' in text and "Systems searched" in text and "Queued" in text


def test_confirming_without_a_subject_record_shows_the_problem(client, setting):
    _world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/candidates"
    _post(client, page, f"{page}/search")
    refused = _post(client, page, f"/console/cases/{case.id}/gather")
    assert refused.status_code == 422
    assert "There is a problem" in refused.text and "Confirm at least one record" in refused.text
    expired = client.post(f"/console/cases/{case.id}/gather", data={})
    assert expired.status_code in (400, 422)


def test_another_schools_user_gets_not_found(client, db_session, setting):
    _world, case, _, (oak_user, oak_secret) = setting
    sign_in(client, oak_user, oak_secret)
    token = csrf_token(client, "/console/account")
    for path in ("candidates", "gather", "items"):
        response = client.get(f"/console/cases/{case.id}/{path}")
        assert response.status_code == 404 and "Amelia" not in response.text
    for path in ("candidates/search", "candidates/decide", "gather", "gather/retry", "gather/complete"):
        response = client.post(f"/console/cases/{case.id}/{path}", data={"csrf_token": token})
        assert response.status_code == 404, path
    assert (
        db_session.scalars(select(AccessLogEntry).where(AccessLogEntry.actor_email == oak_user.email)).all()
        == []
    )
