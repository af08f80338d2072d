"""An erasure being carried out is neither refused nor withdrawn: the case
page offers neither form, a forged post is refused with the reason in the
error summary, and the API answers 409 with it; the jobs then finish the
erasure."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.cases.lifecycle import ERASURE_UNDER_WAY
from app.cases.models import Case, CaseStatus
from app.erasure.services import EXECUTE_TASK
from app.extensions import db
from app.jobs import Job, JobStatus
from app.jobs.runner import execute as run_job
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.erasure.factory import gathered_erasure
from tests.unit.sources.factories import build_world

NOWHERE = "redis://127.0.0.1:1/4"  # jobs are queued, but nothing runs them


@pytest.fixture
def executing(app, client, db_session):
    """Elm's office signed in, Amelia's erasure executing with its stores'
    jobs queued, and an API token of the office's."""
    app.config["REDIS_URL"] = None
    world = build_world(db_session)
    user, secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    token = issue_token(user, name="elm token", days=30, actor=user).secret
    db_session.commit()
    case = gathered_erasure(world, user)
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/erasure"
    for action in ("plan", "approve"):
        assert (
            client.post(f"{page}/{action}", data={"csrf_token": csrf_token(client, page)}).status_code == 303
        )
    app.config["REDIS_URL"] = NOWHERE
    assert client.post(f"{page}/execute", data={"csrf_token": csrf_token(client, page)}).status_code == 303
    app.config["REDIS_URL"] = None
    return case, {"Authorization": f"Bearer {token}"}


def _status(case: Case) -> CaseStatus:
    db.session.expire_all()
    return db.session.get(Case, case.id).status


def _finish() -> None:
    for job in db.session.scalars(
        select(Job).where(Job.name == EXECUTE_TASK, Job.status == JobStatus.QUEUED)
    ):
        assert run_job(job.id).status is JobStatus.SUCCEEDED


def test_case_page_offers_no_refusal_or_withdrawal_while_the_erasure_executes(client, executing):
    case, _ = executing
    page = f"/console/cases/{case.id}"
    shown = client.get(page)
    assert shown.status_code == 200
    assert 'id="refuse-heading"' not in shown.text and 'id="withdraw-heading"' not in shown.text

    token = csrf_token(client, page)
    refused = client.post(
        f"{page}/refuse",
        data={"csrf_token": token, "refuse-reason": "exception_applies", "refuse-detail": "Art 17(3)(e)."},
    )
    assert refused.status_code == 409
    assert 'class="error-summary" role="alert"' in refused.text and ERASURE_UNDER_WAY in refused.text
    withdrawn = client.post(f"{page}/withdraw", data={"csrf_token": token, "withdraw-asked": "email"})
    assert withdrawn.status_code == 409 and ERASURE_UNDER_WAY in withdrawn.text
    assert _status(case) is CaseStatus.EXECUTING

    _finish()
    assert _status(case) is CaseStatus.RESPONDED


def test_api_refuses_refusal_and_withdrawal_while_the_erasure_executes(client, executing):
    case, auth = executing
    base = f"/api/v1/cases/{case.reference}"
    refused = client.post(
        f"{base}/refuse", headers=auth, json={"reason": "exception_applies", "detail": "Art 17(3)(e)."}
    )
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "illegal_transition" and ERASURE_UNDER_WAY in error["message"]
    withdrawn = client.post(f"{base}/withdraw", headers=auth, json={"asked_by": "phone"})
    assert withdrawn.status_code == 409 and ERASURE_UNDER_WAY in withdrawn.get_json()["error"]["message"]
    assert _status(case) is CaseStatus.EXECUTING
