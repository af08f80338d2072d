"""The DPO signs in to the console in a real browser (password, then a TOTP
code) and the main console pages pass the axe-core WCAG 2.2 AA scan. The
scan itself is shown to catch a real violation, so a passing scan means
something."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.mail import send_mail
from app.mail.models import OutboxMessage, OutboxStatus
from tests.e2e.conftest import assert_accessible, screenshot, serious_violations
from tests.signin import PASSWORD, fresh_code, make_organisation, make_user
from tests.unit.cases.factory import opened_case

pytestmark = pytest.mark.e2e


def test_axe_scan_reports_an_unlabelled_field_and_an_image_without_text(page):
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<input type="text"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</main></body></html>"
    )
    found = {violation["id"] for violation in serious_violations(page)}
    assert {"label", "image-alt"} <= found


def test_dpo_signs_in_with_totp_and_console_pages_are_accessible(app, live_server, page):
    school = make_organisation("Oak Hill Primary School")
    user, secret = make_user("dpo@company.example", Role.ADMIN)
    case = opened_case(school, user, received_on=date(2026, 10, 20), requester_email="parent@example.net")
    # One email refused by the mail server: the list warns of it and the
    # case page offers to send it again, and both are scanned so.
    refused = db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id)).first()
    refused.status, refused.attempts = OutboxStatus.FAILED, 5
    refused.last_error = "SMTPRecipientsRefused: 550 5.1.1 recipient rejected"
    # And a password-reset email to a member of staff: the admin's list
    # warns of that too, and the Staff page says why.
    member, _ = make_user("member@company.example", Role.CASEWORKER)
    reset = send_mail(member.email, "Reset", "...", category="accounts.password_reset", user_id=member.id)
    reset.status, reset.attempts, reset.last_error = OutboxStatus.FAILED, 5, refused.last_error
    db.session.commit()

    page.goto(f"{live_server}/console/")
    page.wait_for_selector("input[name=email]")
    assert_accessible(page, "sign-in page")
    screenshot(page, "10-console-sign-in")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("input[name=code]")
    assert_accessible(page, "second-factor page")
    page.fill("input[name=code]", fresh_code(user, secret))
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Cases')")
    assert page.locator("#undelivered-heading").inner_text() == "Emails not delivered"
    assert page.locator("#undelivered-staff-heading").inner_text() == "Staff emails not delivered"
    assert_accessible(page, "case list")
    screenshot(page, "11-console-cases")

    for path, name in (
        ("/console/dashboard", "12-console-dashboard"),
        ("/console/requests", "13-console-request-register"),
        (f"/console/cases/{case.id}", "14-console-case"),
        ("/console/register", "15-console-processing-register"),
    ):
        page.goto(f"{live_server}{path}")
        assert page.locator("main h1").count() == 1, path
        assert_accessible(page, path)
        screenshot(page, name)
    page.goto(f"{live_server}/console/cases/{case.id}")
    assert page.get_by_role("button", name="Send again").count() == 1
    page.goto(f"{live_server}/console/staff")
    assert "Password reset email: Not delivered" in page.locator(f"#staff-mail-{member.id}").inner_text()
    assert_accessible(page, "staff page with an email not delivered")


def test_admin_invites_staff_and_the_invitee_chooses_a_password_by_keyboard(app, live_server, page):
    import re

    from sqlalchemy import select

    from app.mail.models import OutboxMessage

    admin, secret = make_user("admin@company.example", Role.ADMIN)
    db.session.commit()
    page.goto(f"{live_server}/console/")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("input[name=code]")
    page.fill("input[name=code]", fresh_code(admin, secret))
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Cases')")

    page.click("nav >> text=Staff")
    page.wait_for_selector("main h1:has-text('Staff')")
    page.click("button:has-text('Send invitation')")  # nothing filled in
    page.wait_for_selector(".error-summary")
    assert_accessible(page, "staff page with the invitation's errors")
    page.fill("input[name=name]", "Nia Newcomer")
    page.fill("input[name=email]", "nia@company.example")
    page.check("input[name=role][value=caseworker]")
    page.click("button:has-text('Send invitation')")
    page.wait_for_selector("main td:has-text('nia@company.example')")
    assert_accessible(page, "staff page")
    screenshot(page, "35-console-staff")

    db.session.expire_all()
    invitations = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.category == "accounts.staff_invite")
    ).all()
    (mail,) = [message for message in invitations if "nia@company.example" in message.recipients]
    path = re.search(r"https?://[^/\s]+(/console/invite/[A-Za-z0-9_-]+)", mail.text_body).group(1)

    page.context.clear_cookies()  # the invitee, not the admin
    page.goto(f"{live_server}{path}")
    page.wait_for_selector("main h1:has-text('Choose your password')")
    assert_accessible(page, "invitation page")
    page.focus("#password")
    page.keyboard.type("short")
    page.keyboard.press("Tab")
    page.keyboard.type("short")
    page.keyboard.press("Enter")
    page.wait_for_selector(".error-summary")
    assert_accessible(page, "invitation page with errors")
    screenshot(page, "36-invitation-password-error")
    page.fill("#password", "a brand new passphrase 42")
    page.fill("#confirm", "a brand new passphrase 42")
    page.keyboard.press("Enter")
    page.wait_for_selector("input[name=email]")  # on to sign in, where the authenticator is set up
    assert "/console/sign-in" in page.url
