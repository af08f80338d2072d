"""A public authority's lawful bases in a real browser: the organisation
page with its "Public authority" line and a legitimate-interests row flagged,
the basis page refusing legitimate interests, and the organisation page's
form refusing to make a nursery using them a public authority, pass the
axe-core WCAG 2.2 AA scan; each summary's link takes the keyboard to its
field."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.db import utcnow
from app.extensions import db
from app.orgs.models import Organisation
from app.register.models import LawfulBasis, OrganisationBasis, RegisterEntry
from tests.e2e.conftest import assert_accessible
from tests.e2e.journey import sign_in
from tests.signin import make_organisation, make_user

pytestmark = pytest.mark.e2e

INTERESTS = "Legitimate interests (UK GDPR Art 6(1)(f)): to care for the child safely."


def _interests_at(organisation: Organisation) -> RegisterEntry:
    """Legitimate interests stored as ``organisation``'s own basis for pupils'
    identity, as a private nursery may (or a school before the rule)."""
    identity = db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == "pupils", RegisterEntry.category == "identity")
    ).one()
    db.session.add(
        OrganisationBasis(
            organisation_id=organisation.id,
            register_entry_id=identity.id,
            basis=LawfulBasis.LEGITIMATE_INTERESTS,
            lawful_basis=INTERESTS,
            updated_at=utcnow(),
        )
    )
    db.session.commit()
    return identity


def test_public_authority_flag_warning_and_refusal_are_accessible(app, live_server, page, db_session):
    school = make_organisation("Alder Academy")
    # Stored before the rule: the page flags it.
    identity = _interests_at(school)
    sign_in(page, live_server, *make_user("dpo@company.example", Role.ADMIN))

    page.goto(f"{live_server}/console/organisations/{school.id}")
    page.wait_for_selector("h2:has-text('Lawful basis at this organisation')")
    assert "A public authority cannot use legitimate interests" in page.inner_text(".summary-list")
    table = page.get_by_role("region", name="Lawful basis at this organisation")
    assert "Warning: not open to a public authority" in table.inner_text()
    assert_accessible(page, "organisation page of a public authority with a flagged basis")

    table.get_by_role("link", name=identity.title).click()
    page.wait_for_selector("#basis")
    page.select_option("#basis", "legitimate_interests")
    page.get_by_role("button", name="Save the basis").click()
    page.wait_for_selector(".error-summary")
    page.wait_for_load_state("load")
    assert "last sentence" in page.inner_text(".error-summary")
    assert_accessible(page, "basis page refusing legitimate interests at a public authority")
    page.focus('.error-summary a[href="#basis"]')
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement?.id === 'basis'")


def test_public_authority_form_refusal_is_accessible(app, live_server, page, db_session):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    identity = _interests_at(nursery)
    sign_in(page, live_server, *make_user("dpo@company.example", Role.ADMIN))

    page.goto(f"{live_server}/console/organisations/{nursery.id}")
    page.get_by_role("group", name="Is Little Acorns Nursery a public authority?").get_by_label("Yes").check()
    page.get_by_role("button", name="Save whether it is a public authority").click()
    page.wait_for_selector(".error-summary")
    page.wait_for_load_state("load")
    summary = page.inner_text(".error-summary")
    assert "cannot be made a public authority" in summary and identity.title in summary
    assert_accessible(page, "organisation page refusing to make it a public authority")
    page.focus('.error-summary a[href="#public_authority"]')
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement?.id === 'public_authority'")
