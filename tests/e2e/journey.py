"""Steps the console journeys share (not a test module): signing in with a
password and a TOTP code, the case page's next action, a case's status as
the database has it now, and the text of one email the app sent."""

from __future__ import annotations

from app.cases.models import Case, CaseStatus
from app.extensions import db
from tests.signin import PASSWORD, fresh_code


def sign_in(page, base: str, user, secret: str) -> None:
    page.goto(f"{base}/console/")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("input[name=code]")
    page.fill("input[name=code]", fresh_code(user, secret))
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Cases')")


def next_action(page):
    """The case page's "next action" section."""
    return page.locator("section[aria-labelledby=next-heading]")


def case_status(case: Case) -> CaseStatus:
    db.session.expire_all()
    return db.session.get(Case, case.id).status


def mail_text(smtp, to: str, subject_starts: str) -> str:
    """The plain text of the one email to ``to`` whose subject starts so."""
    found = [
        m.message
        for m in smtp.messages
        if m.rcpt_tos == [to] and str(m.message["Subject"]).startswith(subject_starts)
    ]
    assert len(found) == 1, [str(m.message["Subject"]) for m in smtp.messages]
    return found[0].get_body(("plain",)).get_content()
