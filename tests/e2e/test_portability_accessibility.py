"""A data portability case in a real browser: the review page with the data
the right does not cover, the pack page's "send it to another organisation"
form (with its error summary, followed from the keyboard, and sent), and the
register entry's basis and "given by the person" questions all pass the
axe-core WCAG 2.2 AA scan."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.exports.models import DownloadLink, LinkAudience
from app.extensions import db
from app.register.models import RegisterEntry
from app.review import services
from tests.e2e.conftest import assert_accessible
from tests.e2e.journey import sign_in
from tests.signin import make_user
from tests.unit.exports.factory import stored_pack
from tests.unit.portability.factory import contract_with_parents
from tests.unit.review.factory import gathered_amelia
from tests.unit.sources.factories import build_world

pytestmark = pytest.mark.e2e


def test_portability_pages_and_their_errors_are_accessible(app, live_server, page, db_session):
    app.config["REDIS_URL"] = None  # the gather's jobs run inline
    world = build_world(db_session)
    user, secret = make_user("dpo@company.example", Role.ADMIN)
    contract_with_parents()  # so the review has covered items and uncovered ones
    case = gathered_amelia(world, user, request_type="portability")
    sign_in(page, live_server, user, secret)

    page.goto(f"{live_server}/console/cases/{case.id}/review")
    page.wait_for_selector("#not-portable-heading")
    assert "Attendance" in page.locator("section:has(#not-portable-heading)").inner_text()
    assert_accessible(page, "portability review page")

    services.decide_many(case, [], "disclose", None, None, user, undecided=True)
    services.approve(case, user)
    db.session.commit()
    stored_pack(case, user)

    page.goto(f"{live_server}/console/cases/{case.id}/pack")
    page.wait_for_selector("#transmit-heading")
    assert_accessible(page, "pack page of a portability case")
    page.get_by_role("button", name="Send to this organisation").click()
    page.wait_for_selector(".error-summary")
    page.wait_for_load_state("load")
    assert_accessible(page, "pack page with the organisation's errors")
    page.focus('.error-summary a[href="#organisation_email"]')
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement?.id === 'organisation_email'")

    page.fill("#organisation_name", "Birch Academy")
    page.fill("#organisation_email", "admissions@birch.sch.example")
    page.get_by_role("button", name="Send to this organisation").click()
    page.wait_for_selector("text=its code went to the requester")
    db.session.expire_all()
    sent = {link.audience: link for link in db.session.scalars(select(DownloadLink))}
    assert sent[LinkAudience.CONTROLLER].recipient_name == "Birch Academy" and LinkAudience.REQUESTER in sent

    entry = db.session.scalars(select(RegisterEntry).where(RegisterEntry.category == "attendance")).one()
    page.goto(f"{live_server}/console/register/{entry.id}")
    page.wait_for_selector("#basis")
    assert_accessible(page, "register entry with the portability questions")
