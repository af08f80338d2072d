"""A parent asks for their child's data on the public form in a real browser,
using the keyboard only, confirms the code from the email the app really
sent (in-process SMTP server), and opens the private status page; every page
on the way passes the axe-core WCAG 2.2 AA scan."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.cases.models import Case, CaseStatus
from app.extensions import db
from tests.e2e.conftest import assert_accessible, screenshot
from tests.functional.test_intake_form import school  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

CODE = re.compile(r"Your confirmation code is: (\d{6})")
STATUS_LINK = re.compile(r"(http://localhost:\d+/request/status/[A-Za-z0-9_-]+)")


def _type(page, selector: str, text: str) -> None:
    page.focus(selector)
    page.keyboard.type(text)


def _choose(page, selector: str) -> None:
    """A radio button picked from the keyboard: focus it, press Space."""
    page.focus(selector)
    page.keyboard.press("Space")


def _fill_request(page, school_name: str) -> None:
    _choose(page, "input[name=request_type][value=access]")
    _choose(page, "input[name=requester_relationship][value=parent_carer]")
    _type(page, "input[name=school_query]", school_name)
    _type(page, "#subject_first_name", "Alex")
    _type(page, "#subject_last_name", "Example")
    _type(page, "#subject_date_of_birth-day", "27")
    _type(page, "#subject_date_of_birth-month", "3")
    _type(page, "#subject_date_of_birth-year", "2014")
    _choose(page, "input[name=subject_role][value=pupil]")
    _type(page, "#description", "Everything about my child's attendance records.")
    _type(page, "#requester_name", "Sam Example")
    _type(page, "#requester_email", "sam@example.com")


def test_parent_requests_confirms_and_sees_status_with_keyboard_only(
    app, school, smtp, live_server, page  # noqa: F811
):
    page.goto(f"{live_server}/")
    assert_accessible(page, "request form")
    screenshot(page, "01-request-form")

    # Sent empty first: the error summary takes focus and links to the fields.
    page.focus("form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".error-summary")
    assert page.title().startswith("Error")
    assert_accessible(page, "request form with errors")
    screenshot(page, "02-request-form-errors")

    page.goto(f"{live_server}/")
    _fill_request(page, "Oak Hill Primary School")
    page.focus("form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/request/[0-9a-f-]+/confirm$"))
    assert_accessible(page, "confirm page")
    screenshot(page, "03-confirm-code")

    (message,) = [m.message for m in smtp.messages if m.rcpt_tos == ["sam@example.com"]]
    code = CODE.search(message.get_body(("plain",)).get_content()).group(1)
    _type(page, "#code", code)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=SAR-")
    assert_accessible(page, "confirmed page")
    screenshot(page, "04-request-confirmed")

    case = db.session.scalars(select(Case)).one()
    db.session.refresh(case)
    assert case.status is CaseStatus.AWAITING_IDENTITY and case.reference in page.content()

    links = [STATUS_LINK.search(m.message.get_body(("plain",)).get_content()) for m in smtp.messages]
    status_url = next(link.group(1) for link in links if link)
    page.goto(status_url)
    assert case.reference in page.content()
    assert_accessible(page, "status page")
    screenshot(page, "05-status-page")
