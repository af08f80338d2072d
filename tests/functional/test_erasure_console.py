"""The console's erasure page, through real sign-in and CSRF: build the
plan (a table per system), approve, execute (inline jobs), progress, the
certificate download (audited); a legal hold in the error summary; other
schools kept out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.cases.models import Case, CaseStatus
from app.db import utcnow
from app.erasure.services import EXECUTE_TASK
from app.extensions import db
from app.jobs import Job, JobStatus
from app.jobs.runner import execute as run_job
from app.rights.models import HoldSubject
from tests.signin import csrf_token, make_user, sign_in, sign_out
from tests.unit.erasure.factory import HOLD_REASON, gathered_erasure, hold
from tests.unit.sources.factories import build_world

NOWHERE = "redis://127.0.0.1:1/4"  # jobs are queued, but nothing runs them


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    world = build_world(db_session)
    elm = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak = make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    case = gathered_erasure(world, elm[0])
    return world, elm, oak, case


def _post(client, page: str, action: str):
    return client.post(action, data={"csrf_token": csrf_token(client, page)})


def _status(case: Case) -> CaseStatus:
    db.session.expire_all()
    return db.session.get(Case, case.id).status


def test_erasure_plan_approve_execute_and_certificate_in_the_console(client, setting):
    _, (user, secret), _, case = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/erasure"

    assert f'href="{page}"' in client.get(f"/console/cases/{case.id}").text
    empty = client.get(page)
    assert empty.status_code == 200 and "No plan has been built yet." in empty.text
    assert "Build the plan" in empty.text

    built = _post(client, page, f"{page}/plan")
    assert built.status_code == 303 and built.headers["Location"].endswith(page)
    shown = client.get(page).text
    assert "Pupil records (MIS)" in shown and "Attendance marks (register weeks)" in shown
    assert "Anonymise" in shown and "Keep" in shown and "controller of these records" in shown
    assert "Rebuild the plan" in shown and "Approve the plan" in shown

    assert _post(client, page, f"{page}/approve").status_code == 303
    assert _status(case) is CaseStatus.APPROVED
    assert "Execute the erasure" in client.get(page).text

    assert _post(client, page, f"{page}/execute").status_code == 303
    assert _status(case) is CaseStatus.RESPONDED
    done = client.get(page).text
    assert "Done" in done and "Planned" not in done and "Download the erasure certificate" in done

    certificate = client.get(f"{page}/certificate")
    assert certificate.status_code == 200 and certificate.data.startswith(b"%PDF-")
    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "erasure.certificate_downloaded")
    ).all()


def test_erasure_console_explains_a_legal_hold(client, setting):
    world, (user, secret), _, case = setting
    hold(HoldSubject.PUPIL, world.amelia.id)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/erasure"
    refused = _post(client, page, f"{page}/plan")
    assert refused.status_code == 409
    assert 'class="error-summary" role="alert"' in refused.text and "There is a problem" in refused.text
    assert HOLD_REASON in refused.text and "legal hold" in refused.text


def test_erasure_console_refuses_an_expired_form(client, setting):
    _, (user, secret), _, case = setting
    sign_in(client, user, secret)
    refused = client.post(f"/console/cases/{case.id}/erasure/plan", data={"csrf_token": "stale"})
    assert refused.status_code in (400, 422)


def test_erasure_console_hides_other_schools_cases(client, setting):
    _, _, (other, secret), case = setting
    sign_in(client, other, secret)
    assert client.get(f"/console/cases/{case.id}/erasure").status_code == 404
    assert client.get(f"/console/cases/{case.id}/erasure/certificate").status_code == 404


def test_erasure_console_explains_a_school_hold_placed_after_approval(client, setting):
    world, (user, secret), _, case = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/erasure"
    assert _post(client, page, f"{page}/plan").status_code == 303
    assert _post(client, page, f"{page}/approve").status_code == 303
    hold(HoldSubject.ORGANISATION, world.elm.id)

    refused = _post(client, page, f"{page}/execute")
    assert refused.status_code == 409
    assert 'class="error-summary" role="alert"' in refused.text
    assert HOLD_REASON in refused.text and "Elm Primary" in refused.text and "legal hold" in refused.text
    assert _status(case) is CaseStatus.APPROVED
    shown = client.get(page).text
    assert "Planned" in shown and "Done" not in shown and "Execute the erasure" in shown


def _run_queued_jobs() -> None:
    for job in db.session.scalars(
        select(Job).where(Job.name == EXECUTE_TASK, Job.status == JobStatus.QUEUED)
    ).all():
        assert run_job(job.id).status is JobStatus.SUCCEEDED


def test_erasure_console_resumes_an_erasure_stopped_by_a_hold_once_released(app, client, setting):
    world, (user, secret), _, case = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/erasure"
    assert _post(client, page, f"{page}/plan").status_code == 303
    assert _post(client, page, f"{page}/approve").status_code == 303
    app.config["REDIS_URL"] = NOWHERE  # the stores' jobs are queued, and nothing runs them yet
    assert _post(client, page, f"{page}/execute").status_code == 303
    app.config["REDIS_URL"] = None
    running = client.get(page)
    assert running.headers["Refresh"] and "Resume the erasure" not in running.text

    # A hold placed on the school after the jobs were queued stops them all.
    school_hold = hold(HoldSubject.ORGANISATION, world.elm.id)
    _run_queued_jobs()
    stopped = client.get(page)
    assert stopped.status_code == 200 and "Refresh" not in stopped.headers
    assert "The erasure has stopped" in stopped.text and "Pupil records (MIS)" in stopped.text
    assert f"every record of Elm Primary: {HOLD_REASON} (placed 6 January 2025)" in stopped.text
    assert "still in place" in stopped.text and "Resume the erasure" in stopped.text

    # Still held: resuming is refused with the reason, as executing is.
    refused = _post(client, page, f"{page}/resume")
    assert refused.status_code == 409 and 'class="error-summary" role="alert"' in refused.text
    assert HOLD_REASON in refused.text and "Elm Primary" in refused.text
    assert _status(case) is CaseStatus.EXECUTING

    school_hold.released_at = utcnow()
    db.session.commit()
    released = client.get(page).text
    assert "released" in released and "still in place" not in released and "Resume the erasure" in released
    resumed = _post(client, page, f"{page}/resume")  # the stores left run inline now
    assert resumed.status_code == 303 and resumed.headers["Location"].endswith(page)
    assert _status(case) is CaseStatus.RESPONDED
    done = client.get(page).text
    assert "Download the erasure certificate" in done and "The erasure has stopped" not in done
    certificate = client.get(f"{page}/certificate")
    assert certificate.status_code == 200 and certificate.data.startswith(b"%PDF-")


def test_erasure_console_names_the_hold_on_another_person_a_kept_step_is_under(client, setting):
    """The teacher is tagged on Amelia's messages and raised the ticket about
    her: the plan keeps those, and staff see the hold's reason before approving."""
    world, (user, secret), _, case = setting
    hold(HoldSubject.EMPLOYEE, world.teacher.id, reason="Grievance 17/2025")
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/erasure"
    assert _post(client, page, f"{page}/plan").status_code == 303
    shown = client.get(page).text
    assert "The records also concern a member of staff under a legal hold placed 6 January 2025" in shown
    assert "records that also concern a member of staff: Grievance 17/2025 (placed 6 January 2025)" in shown
    assert _post(client, page, f"{page}/approve").status_code == 303
    assert _post(client, page, f"{page}/execute").status_code == 303
    assert _status(case) is CaseStatus.RESPONDED


def test_a_category_is_kept_out_of_the_erasure_from_the_plan_page(client, setting):
    _, (user, secret), (oak_user, oak_secret), case = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/erasure"
    assert 'id="scope-heading"' not in client.get(page).text  # no plan yet
    _post(client, page, f"{page}/plan")
    shown = client.get(page).text
    assert 'id="scope-heading"' in shown and 'id="scope-category"' in shown
    assert '<label class="label" for="scope-keep">' in shown

    token = csrf_token(client, page)
    kept = client.post(
        f"{page}/scope",
        data={"csrf_token": token, "category": "correspondence:correspondence", "keep": "not_requested"},
    )
    assert kept.status_code == 303 and kept.headers["Location"].endswith(page)
    after = client.get(page).text
    assert "The erasure plan is rebuilt with your change." in after
    assert 'id="scope-kept"' in after and "The request did not ask for these records to be erased." in after

    wrong = client.post(
        f"{page}/scope",
        data={"csrf_token": token, "category": "pupils:send", "keep": "art17_3_e_legal_claims"},
    )
    assert wrong.status_code == 422 and "error-summary" in wrong.text
    assert '<a href="#scope-category">Special educational needs records can be kept only with' in wrong.text
    assert '<option value="pupils:send" selected>' in wrong.text  # what was chosen stays chosen
    unknown = client.post(
        f"{page}/scope", data={"csrf_token": token, "category": "", "keep": "not_requested"}
    )
    assert unknown.status_code == 422 and "Choose a category from the plan." in unknown.text

    undone = client.post(
        f"{page}/scope", data={"csrf_token": token, "category": "correspondence:correspondence", "keep": ""}
    )
    assert undone.status_code == 303 and 'id="scope-kept"' not in client.get(page).text

    _post(client, page, f"{page}/approve")
    assert 'id="scope-heading"' not in client.get(page).text  # an approved plan is fixed
    late = client.post(
        f"{page}/scope",
        data={"csrf_token": token, "category": "correspondence:correspondence", "keep": "not_requested"},
    )
    assert late.status_code == 409 and "can no longer change" in late.text

    sign_out(client)
    sign_in(client, oak_user, oak_secret)
    other = client.post(
        f"{page}/scope",
        data={"csrf_token": csrf_token(client, "/console/"), "category": "pupils:send", "keep": ""},
    )
    assert other.status_code == 404
