"""A parent asks, in a real browser and from the keyboard, for their child's
data to be sent to the new school: the request form with its "send the data
to another organisation" fields, and the same form with their errors, pass
the axe-core WCAG 2.2 AA scan; the error summary's link takes focus to the
field at fault; the request sent keeps where the data should go."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.cases.models import Case
from app.extensions import db
from app.portability.destination import MESSAGES
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_public_journey import _choose, _fill_request, _type
from tests.functional.test_intake_form import school  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e


def _send(page) -> None:
    page.focus("form button[type=submit]")
    page.keyboard.press("Enter")


def test_request_form_with_the_destination_fields_is_accessible(app, school, live_server, page):  # noqa: F811
    page.goto(f"{live_server}/")
    page.wait_for_selector("#destination_name")
    assert_accessible(page, "request form with the destination fields")

    _fill_request(page, "Oak Hill Primary School")
    _choose(page, "input[name=request_type][value=portability]")
    _type(page, "#destination_name", "Birch Academy")  # the address left out
    _send(page)
    page.wait_for_selector(".error-summary")
    page.wait_for_load_state("load")  # forms.js handles the summary's links once loaded
    assert page.locator("#destination_email-error").inner_text().endswith(MESSAGES["destination_email"])
    assert page.input_value("#destination_name") == "Birch Academy"
    assert_accessible(page, "request form with a destination error")

    page.focus('.error-summary a[href="#destination_email"]')
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement?.id === 'destination_email'")
    page.keyboard.type("admissions@birch.sch.example")
    _send(page)
    page.wait_for_url(re.compile(r".*/request/[0-9a-f-]+/confirm$"))

    db.session.expire_all()
    [case] = db.session.scalars(select(Case)).all()
    assert (case.destination_name, case.destination_email) == (
        "Birch Academy",
        "admissions@birch.sch.example",
    )
