"""Answering "we hold no personal data" in a real browser, from the
keyboard alone: the "Find the person" page with its nothing-held section,
and again with the error summary of the tick box left unticked, pass the
axe-core WCAG 2.2 AA scan; the summary takes focus and its link takes the
keyboard to the box; ticking it and sending the answer needs no mouse."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts.models import Role
from app.cases.models import CaseStatus
from app.collect import nothing_held, services
from app.extensions import db
from tests.e2e.conftest import assert_accessible
from tests.e2e.journey import case_status, sign_in
from tests.signin import make_organisation, make_user
from tests.unit.cases.factory import opened_case
from tests.unit.restriction.factory import letters_sent

pytestmark = pytest.mark.e2e

ACTIVE_ID = "() => document.activeElement && document.activeElement.id"
# The top of the box of `selector`, relative to the window (negative: above it).
TOP = "selector => document.querySelector(selector).getBoundingClientRect().top"


def _in_view(page, selector: str) -> None:
    top = page.evaluate(TOP, selector)
    assert 0 <= top < page.evaluate("() => window.innerHeight"), f"{selector} is not in view (top {top})"


def test_nothing_held_section_and_its_error_are_accessible_and_answered_by_keyboard(app, live_server, page):
    school = make_organisation("Rowan Primary School")
    user, secret = make_user("dpo@company.example", Role.ADMIN)
    # A subject nobody holds: the school has no pupils, so the search finds nothing.
    case = opened_case(
        school,
        user,
        subject_name="Zebedee Quartermaine",
        subject_dob=date(2009, 2, 3),
        received_on=date.today(),
    )
    services.propose_candidates(case, user)
    db.session.commit()
    sign_in(page, live_server, user, secret)

    page.goto(f"{live_server}/console/cases/{case.id}/candidates")
    section = page.locator("section[aria-labelledby=nothing-held-heading]")
    assert section.locator("h2").inner_text() == "The search found no record of the subject"
    assert_accessible(page, "Find the person with the nothing-held section")

    # Sent from the keyboard without the tick.
    page.focus("button:has-text('Answer: we hold no personal data about them')")
    page.keyboard.press("Enter")
    page.wait_for_selector(".error-summary")
    page.wait_for_load_state("load")  # forms.js has focused the summary and watches its links
    assert page.title().startswith("Error: ")
    page.wait_for_function("() => document.activeElement?.matches('.error-summary')")
    link = page.locator('.error-summary a[href="#checked"]')
    assert link.inner_text().startswith("Tick to confirm you checked every record found")
    assert page.get_attribute("#checked", "aria-describedby") == "checked-error"
    assert section.locator("#checked-error").inner_text().endswith(link.inner_text())
    assert_accessible(page, "Find the person with the nothing-held error")
    assert case_status(case) is CaseStatus.OPEN

    # The summary's link puts focus on the box with its label and message in view.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#checked"
    page.keyboard.press("Enter")
    page.wait_for_function(f"{ACTIVE_ID} === 'checked'")
    for shown in ("#checked-error", 'label[for="checked"]', "#checked"):
        _in_view(page, shown)

    # Ticked with the space bar, then the next stop is the answer's button.
    page.keyboard.press("Space")
    assert page.is_checked("#checked")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == (
        "Answer: we hold no personal data about them"
    )
    page.keyboard.press("Enter")
    page.wait_for_selector("text=we hold no personal data about the subject, and the school asked to check")
    assert page.url.endswith(f"/console/cases/{case.id}")
    assert case_status(case) is CaseStatus.RESPONDED
    assert len(letters_sent(case, nothing_held.MAIL_CATEGORY)) == 1
