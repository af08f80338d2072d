"""A public authority's lawful bases in a real browser: the organisation
page with its "Public authority" line and a legitimate-interests row flagged,
and the basis page refusing legitimate interests, pass the axe-core WCAG 2.2
AA scan; the summary's link takes the keyboard to the basis field."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.db import utcnow
from app.extensions import db
from app.register.models import LawfulBasis, OrganisationBasis, RegisterEntry
from tests.e2e.conftest import assert_accessible
from tests.e2e.journey import sign_in
from tests.signin import make_organisation, make_user

pytestmark = pytest.mark.e2e

INTERESTS = "Legitimate interests (UK GDPR Art 6(1)(f)): to care for the child safely."


def test_public_authority_flag_warning_and_refusal_are_accessible(app, live_server, page, db_session):
    school = make_organisation("Alder Academy")
    user, secret = make_user("dpo@company.example", Role.ADMIN)
    identity = db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == "pupils", RegisterEntry.category == "identity")
    ).one()
    # Stored before the rule: the page flags it.
    db.session.add(
        OrganisationBasis(
            organisation_id=school.id,
            register_entry_id=identity.id,
            basis=LawfulBasis.LEGITIMATE_INTERESTS,
            lawful_basis=INTERESTS,
            updated_at=utcnow(),
        )
    )
    db.session.commit()
    sign_in(page, live_server, user, secret)

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
