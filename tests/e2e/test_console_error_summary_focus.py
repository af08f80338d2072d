"""Every console form that comes back with errors puts the keyboard on its
error summary (WCAG 2.2: the user is taken to the summary), as the public
request form does: the console's layout loads the forms' script, so the
restriction page, an organisation's basis page and the Staff page get the
same, none of them loading it itself. Without JavaScript the summary is
still there and its links still lead to the fields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.register.models import RegisterEntry
from tests.e2e.conftest import ACTION_TIMEOUT_MS
from tests.e2e.journey import sign_in
from tests.signin import make_user
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.sources.factories import build_world

pytestmark = pytest.mark.e2e

SUMMARY_FOCUSED = (
    "() => !!document.activeElement && document.activeElement.matches('[data-module=\"error-summary\"]')"
)
# What has the focus, for the failure's message.
ACTIVE = "() => document.activeElement ? document.activeElement.outerHTML : 'nothing'"


@dataclass
class ConsoleForm:
    what: str
    path: str
    # Leaves the form at fault; the submit button is then pressed from the keyboard.
    fill_in: Callable[[object], None]
    button: str
    field_id: str  # a field the summary links to


def _nothing(page) -> None:
    """The form's fields are left as they are: empty."""


def _no_basis(page) -> None:
    page.select_option("#basis", "")
    page.fill("#lawful_basis", "")


@pytest.fixture
def console_forms(app, db_session) -> tuple[object, str, list[ConsoleForm]]:
    """An administrator (who sees every organisation and case) and three
    console forms of different kinds, each with the input it refuses."""
    app.config["REDIS_URL"] = None
    world = build_world(db_session)
    admin, secret = make_user("dpo@company.example", Role.ADMIN)
    restriction = confirmed_amelia(world, admin, request_type="restriction")
    attendance = db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == "pupils", RegisterEntry.category == "attendance")
    ).one()
    db.session.commit()
    forms = [
        ConsoleForm(
            "the restriction page, without a reason",
            f"/console/cases/{restriction.id}/restriction",
            _nothing,
            "Restrict the records",
            "reason",
        ),
        ConsoleForm(
            "an organisation's basis page, without a basis",
            f"/console/organisations/{world.elm.id}/bases/{attendance.id}",
            _no_basis,
            "Save the basis",
            "lawful_basis",
        ),
        ConsoleForm("the Staff page, inviting nobody", "/console/staff", _nothing, "Send invitation", "role"),
    ]
    return admin, secret, forms


def _submit_at_fault(page, live_server: str, form: ConsoleForm) -> None:
    page.goto(f"{live_server}{form.path}")
    form.fill_in(page)
    page.focus(f"button:has-text('{form.button}')")
    page.keyboard.press("Enter")
    page.wait_for_selector(".error-summary")


def test_every_console_form_with_errors_focuses_its_error_summary(live_server, page, console_forms):
    admin, secret, forms = console_forms
    sign_in(page, live_server, admin, secret)
    for form in forms:
        _submit_at_fault(page, live_server, form)
        page.wait_for_load_state("load")  # the deferred script has run
        assert page.title().startswith("Error: "), form.what
        focused = page.evaluate(SUMMARY_FOCUSED) or page.evaluate(ACTIVE)[:200]
        assert focused is True, f"{form.what}: the focus is on {focused}"
        assert page.locator("script[src$='/js/forms.js']").count() == 1, form.what


def test_without_javascript_the_console_summaries_still_lead_to_the_fields(
    live_server, browser, console_forms
):
    admin, secret, forms = console_forms
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        sign_in(page, live_server, admin, secret)
        for form in forms:
            _submit_at_fault(page, live_server, form)
            link = page.locator(f'.error-summary a[href="#{form.field_id}"]')
            assert link.count() == 1, form.what
            link.focus()
            page.keyboard.press("Enter")
            page.wait_for_url(f"**#{form.field_id}")
    finally:
        context.close()
