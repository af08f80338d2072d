"""The console's "Corrections" page, through real sign-in and CSRF: propose
(an error summary for a bad value), the before/after table, approve and
refuse with a reason, approve the case, apply (jobs inline), download the
confirmation letter, and other schools kept out."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.accounts.models import Role
from app.cases.models import Case, CaseStatus
from app.extensions import db
from app.rectification.models import ProposalStatus, RectificationProposal
from app.sources.pupils.models import Pupil
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.rectification.factory import rectification_case
from tests.unit.sources.factories import build_world


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    world = build_world(db_session)
    elm = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak = make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    case = rectification_case(world, elm[0])
    return world, case, elm, oak


def _post(client, page: str, action: str, **data):
    return client.post(action, data={"csrf_token": csrf_token(client, page), **data})


def _proposal(field: str) -> RectificationProposal:
    db.session.expire_all()
    return db.session.scalars(select(RectificationProposal).where(RectificationProposal.field == field)).one()


def test_propose_decide_apply_and_download_in_the_console(client, setting):
    world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/rectification"
    target = f"pupil:{world.amelia.id}:"

    empty = client.get(page)
    assert empty.status_code == 200 and "No correction has been proposed yet." in empty.text
    assert f'value="{target}date_of_birth"' in empty.text
    assert "Corrections" in client.get(f"/console/cases/{case.id}").text

    made = _post(client, page, f"{page}/proposals", target=f"{target}postcode", value="LS1 4AB")
    assert made.status_code == 303 and made.headers["Location"].endswith(page)
    _post(client, page, f"{page}/proposals", target=f"{target}middle_names", value="Rosa")
    table = client.get(page).text
    assert "LS1 4A<del>P</del>" in table and "LS1 4A<ins>B</ins>" in table

    postcode, middle = _proposal("postcode"), _proposal("middle_names")
    no_reason = _post(client, page, f"{page}/decisions", proposal_id=str(middle.id), decision="refuse")
    assert no_reason.status_code == 422
    assert f'href="#reason-{middle.id}"' in no_reason.text and "Give the reason" in no_reason.text
    _post(
        client,
        page,
        f"{page}/decisions",
        proposal_id=str(middle.id),
        decision="refuse",
        reason="Rose is on her birth certificate.",
    )
    _post(client, page, f"{page}/decisions", proposal_id=str(postcode.id), decision="approve")
    assert _proposal("middle_names").status is ProposalStatus.REFUSED

    approved = _post(client, page, f"{page}/approve")
    assert approved.status_code == 303
    applied = _post(client, page, f"{page}/apply")
    assert applied.status_code == 303
    db.session.expire_all()
    assert db.session.get(Case, case.id).status is CaseStatus.RESPONDED
    assert db.session.get(Pupil, world.amelia.id).postcode == "LS1 4AB"

    done = client.get(page).text
    assert "Download the confirmation letter" in done
    letter = client.get(f"{page}/confirmation")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(letter.data)).pages[0].extract_text().split())
    assert "Rose is on her birth certificate." in text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("upn", "A12345678901Z", "is not a valid UPN"),
        ("date_of_birth", "2016-02-30", "is not a date (YYYY-MM-DD)"),
    ],
)
def test_bad_value_shows_an_error_summary(client, setting, field, value, message):
    world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/rectification"
    answer = _post(client, page, f"{page}/proposals", target=f"pupil:{world.amelia.id}:{field}", value=value)
    assert answer.status_code == 422
    assert 'class="error-summary"' in answer.text and 'href="#value"' in answer.text
    assert message in answer.text
    assert f'value="{value}"' in answer.text  # what was typed is kept to correct
    assert db.session.scalars(select(RectificationProposal)).first() is None


def test_approving_with_an_undecided_correction_is_refused(client, setting):
    world, case, (user, secret), _ = setting
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}/rectification"
    _post(client, page, f"{page}/proposals", target=f"pupil:{world.amelia.id}:town", value="Leeds")
    answer = _post(client, page, f"{page}/approve")
    assert answer.status_code == 409 and "still need a decision" in answer.text


def test_other_school_cannot_see_or_change_the_corrections(client, setting):
    world, case, _, (other, secret) = setting
    sign_in(client, other, secret)
    page = f"/console/cases/{case.id}/rectification"
    assert client.get(page).status_code == 404
    token = csrf_token(client, "/console/")
    made = client.post(
        f"{page}/proposals",
        data={"csrf_token": token, "target": f"pupil:{world.amelia.id}:town", "value": "X"},
    )
    assert made.status_code == 404
    assert client.get(f"{page}/confirmation").status_code == 404
    assert db.session.scalars(select(RectificationProposal)).first() is None
