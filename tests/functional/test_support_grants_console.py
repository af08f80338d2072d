"""Support access in the console, through real sign-in and CSRF: a school
user gives a permission (agent by email, the policy's default period),
sees its uses from the access log, withdraws it after confirming; errors
come back in a summary; company staff read without forms; other schools
see nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.sources.access_log import grants
from app.sources.access_log.models import SupportAccessGrant
from app.sources.helpdesk.models import Ticket
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.api import estate
from tests.unit.sources.factories import build_world

PAGE = "/console/support-grants"
AGENT_EMAIL = "priya.desai@rightsdesk.example"


@pytest.fixture
def setting(app, db_session):
    world = build_world(db_session)
    elm = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak = make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    staff = make_user("cas@rightsdesk.example", Role.CASEWORKER)
    agent = estate.make_user(AGENT_EMAIL, Role.CASEWORKER, name="Priya Desai")
    db_session.commit()
    return world, elm, oak, staff, agent


def _given_by(user) -> SupportAccessGrant:
    return db.session.scalars(
        select(SupportAccessGrant).where(SupportAccessGrant.granted_by_user_id == user.id)
    ).one()


def _give(client, **data):
    values = {"agent_email": AGENT_EMAIL, "purpose": "The register will not save.", "days": "", **data}
    return client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE), **values})


def test_school_user_gives_sees_uses_and_withdraws(client, setting):
    world, (elm, secret), _, _, agent = setting
    sign_in(client, elm, secret)
    page = client.get(PAGE)
    assert page.status_code == 200 and 'aria-current="page">Support access' in page.text
    assert "Expired" in page.text  # the helpdesk's imported permissions, long over

    ticket = db.session.scalars(select(Ticket).where(Ticket.organisation_id == world.elm.id)).first()
    done = _give(client, ticket_reference=ticket.reference)
    assert done.status_code == 303
    given = _given_by(elm)
    assert given.agent_name == "Priya Desai" and given.ticket_id == ticket.id
    assert given.expires_at - given.granted_at == timedelta(days=grants.DEFAULT_DAYS)
    listed = client.get(PAGE).text
    assert "Priya Desai may look at your record until" in listed
    assert "Not used." in listed and "Active" in listed

    grants.use(given, agent, person_kind="pupil", person_id=world.amelia.id, area="Attendance")
    db.session.commit()
    with_use = client.get(PAGE).text
    assert f"<code>{world.amelia.id}</code>" in with_use and "view: Attendance" in with_use

    confirm_path = f"{PAGE}/{given.id}/revoke"
    confirm = client.get(confirm_path)
    assert confirm.status_code == 200 and "Withdraw permission for Priya Desai?" in confirm.text
    withdrawn = client.post(confirm_path, data={"csrf_token": csrf_token(client, confirm_path)})
    assert withdrawn.status_code == 303
    db.session.expire_all()
    assert grants.state(db.session.get(SupportAccessGrant, given.id)) == "revoked"
    after = client.get(PAGE).text
    assert "Withdrawn" in after and confirm_path not in after
    again = client.get(confirm_path)
    assert "already withdrawn" in again.text
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"support_access.granted", "support_access.revoked", "support_access.list_viewed"} <= actions


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"agent_email": "nobody@rightsdesk.example"}, "agent_email", "No member of the support team"),
        ({"purpose": "   "}, "purpose", "This is required"),
        ({"days": "31"}, "days", "Give between 1 and 30 days"),
        ({"days": "a week"}, "days", "Give between 1 and 30 days"),
        ({"ticket_reference": "TT-NOPE"}, "ticket_reference", "No such ticket"),
    ],
)
def test_giving_with_bad_input_shows_an_error_summary(client, setting, data, field, message):
    _, (elm, secret), _, _, _ = setting
    sign_in(client, elm, secret)
    refused = _give(client, **data)
    assert refused.status_code == 422
    assert 'class="error-summary"' in refused.text and f'href="#{field}"' in refused.text
    assert message in refused.text and f'id="{field}-error"' in refused.text
    assert refused.text.startswith("<!doctype html>") and "<title>Error:" in refused.text
    assert (
        db.session.scalar(
            select(SupportAccessGrant.id).where(SupportAccessGrant.granted_by_user_id == elm.id)
        )
        is None
    )


def test_a_form_without_its_token_is_refused(client, setting):
    _, (elm, secret), _, _, _ = setting
    sign_in(client, elm, secret)
    refused = client.post(PAGE, data={"agent_email": AGENT_EMAIL, "purpose": "Help"})
    assert refused.status_code == 400
    assert (
        db.session.scalar(
            select(SupportAccessGrant.id).where(SupportAccessGrant.granted_by_user_id == elm.id)
        )
        is None
    )


def test_company_staff_read_without_forms_and_cannot_give_or_withdraw(client, setting):
    _, (elm, elm_secret), _, (staff, secret), _ = setting
    sign_in(client, elm, elm_secret)
    assert _give(client).status_code == 303
    given = _given_by(elm)
    client.post("/console/sign-out", data={"csrf_token": csrf_token(client, "/console/account")})

    sign_in(client, staff, secret)
    page = client.get(PAGE)
    assert page.status_code == 200 and "Priya Desai" in page.text
    assert "Give permission" not in page.text and "/revoke" not in page.text
    token = csrf_token(client, PAGE)
    assert client.post(PAGE, data={"csrf_token": token, "agent_email": AGENT_EMAIL}).status_code == 403
    assert client.post(f"{PAGE}/{given.id}/revoke", data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert db.session.get(SupportAccessGrant, given.id).revoked_at is None


def test_another_school_sees_nothing_and_cannot_withdraw(client, setting):
    _, (elm, elm_secret), (oak, oak_secret), _, _ = setting
    sign_in(client, elm, elm_secret)
    assert _give(client, purpose="A private matter of Elm").status_code == 303
    given = _given_by(elm)
    client.post("/console/sign-out", data={"csrf_token": csrf_token(client, "/console/account")})

    sign_in(client, oak, oak_secret)
    page = client.get(PAGE).text
    assert "A private matter of Elm" not in page and str(given.id) not in page
    assert client.get(f"{PAGE}/{given.id}/revoke").status_code == 404
    token = csrf_token(client, PAGE)
    assert client.post(f"{PAGE}/{given.id}/revoke", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(SupportAccessGrant, given.id).revoked_at is None


def test_the_list_is_paged(client, setting):
    _, (elm, secret), _, _, _ = setting
    for n in range(22):
        grants.grant(elm, agent_email=AGENT_EMAIL, purpose=f"Reason {n:02d}")
    db.session.commit()
    total = len(
        db.session.scalars(
            select(SupportAccessGrant.id).where(SupportAccessGrant.organisation_id == elm.organisation_id)
        ).all()
    )
    sign_in(client, elm, secret)
    first = client.get(PAGE).text
    pages = -(-total // 20)
    assert f"Page 1 of {pages}." in first and len(re.findall(r'<article class="section"', first)) == 20
    assert "Reason 21" in first  # newest first
    last = client.get(f"{PAGE}?page={pages}").text
    assert len(re.findall(r'<article class="section"', last)) == total - 20 * (pages - 1)
    assert client.get(f"{PAGE}?page=x").status_code == 200
