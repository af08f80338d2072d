"""An organisation's lawful basis in a real browser: the organisation page's
table of bases (the register's, the trust's and the school's own) and the
basis page, with its form and again with its error summary, pass the
axe-core WCAG 2.2 AA scan; the summary's link takes the keyboard to the
field at fault."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.register.bases import set_basis
from app.register.models import RegisterEntry
from tests.e2e.conftest import assert_accessible
from tests.e2e.journey import sign_in
from tests.signin import make_organisation, make_user

pytestmark = pytest.mark.e2e


def _entry(source: str, category: str) -> RegisterEntry:
    return db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == source, RegisterEntry.category == category)
    ).one()


def test_organisation_bases_pages_and_their_errors_are_accessible(app, live_server, page, db_session):
    trust = make_organisation("Birch Learning Trust", kind="trust")
    school = make_organisation("Birch Primary", trust=trust)
    user, secret = make_user("dpo@company.example", Role.ADMIN)
    attendance = _entry("pupils", "attendance")
    set_basis(
        trust,
        attendance,
        {
            "basis": "legal_obligation",
            "lawful_basis": "Legal obligation (Art 6(1)(c)): attendance registers.",
        },
        user,
    )
    set_basis(
        school,
        _entry("contacts", "identity"),
        {"basis": "contract", "lawful_basis": "Contract (Art 6(1)(b)): the contract with the parents."},
        user,
    )
    db.session.commit()
    sign_in(page, live_server, user, secret)

    page.goto(f"{live_server}/console/organisations/{school.id}")
    page.wait_for_selector("h2:has-text('Lawful basis at this organisation')")
    table = page.get_by_role("region", name="Lawful basis at this organisation")
    assert "The trust (Birch Learning Trust)" in table.inner_text() and "Set here" in table.inner_text()
    assert_accessible(page, "organisation page with its lawful bases")

    table.get_by_role("link", name="Attendance").click()
    page.wait_for_selector("#basis")
    assert_accessible(page, "basis page of a school in a trust")

    page.select_option("#basis", "")
    page.fill("#lawful_basis", "")
    page.get_by_role("button", name="Save the basis").click()
    page.wait_for_selector(".error-summary")
    page.wait_for_load_state("load")
    assert_accessible(page, "basis page with its errors")
    page.focus('.error-summary a[href="#lawful_basis"]')
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement?.id === 'lawful_basis'")
