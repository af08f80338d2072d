"""The consent-withdrawal page in a real browser: reached from the case
page's next action, it passes the axe-core WCAG 2.2 AA scan with its choice
of consents and again with its error summary, whose link takes the keyboard
to the first consent."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.extensions import db
from tests.e2e.conftest import assert_accessible
from tests.e2e.journey import next_action, sign_in
from tests.signin import make_user
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.restriction.factory import photo_consent
from tests.unit.sources.factories import build_world

pytestmark = pytest.mark.e2e


def test_consent_withdrawal_page_and_its_errors_are_accessible(app, live_server, page, db_session):
    world = build_world(db_session)
    user, secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    photo_consent(world)
    case = confirmed_amelia(world, user, request_type="consent_withdrawal")
    db.session.commit()

    sign_in(page, live_server, user, secret)
    page.goto(f"{live_server}/console/cases/{case.id}")
    next_action(page).get_by_role("link", name="Record the consents withdrawn").click()
    page.wait_for_selector("h1:has-text('Consent withdrawal')")
    assert_accessible(page, "consent withdrawal page")

    page.get_by_role("button", name="Withdraw the consents and send the confirmation").click()
    page.wait_for_selector(".error-summary")
    page.wait_for_load_state("load")
    assert_accessible(page, "consent withdrawal page with its errors")
    page.focus('.error-summary a[href="#purposes"]')
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "purposes"
