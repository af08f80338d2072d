"""The DPO answers a parent's request in a real browser, and the school
downloads the response.

Elm Primary holds Amelia (the subject), her twin Isla (a third party named
in the school's messages) and their mother, who asked. The DPO signs in
with a password and a TOTP code, accepts identity, confirms the matches,
starts the gather and watches the case page follow it (the jobs run on an
RQ worker in burst mode when Redis is available, otherwise in this process)
until the page reloads itself; reviews, redacting Isla's name through the
suggestions and disclosing the rest; approves, builds the pack and sends it
to the school. The school's contact, in a browser of their own, opens the
link from the email the app really sent, types the code from the second
email and downloads the PDF, which is read back: Amelia's data is there and
Isla's name is not. Every page on the way passes the axe-core scan, and
each step is a screenshot in docs/screenshots (20-29)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from app.accounts.models import Role
from app.cases.models import CaseStatus
from app.extensions import db
from tests.e2e.conftest import ACTION_TIMEOUT_MS, assert_accessible, screenshot
from tests.e2e.journey import case_status, mail_text, next_action, sign_in
from tests.signin import make_user
from tests.unit.cases.factory import new_case
from tests.unit.sources.factories import MOTHER_EMAIL, TWINS_BORN, build_world

pytestmark = pytest.mark.e2e

LINK = re.compile(r"(http://localhost:\d+/download/[A-Za-z0-9_-]+)")
CODE = re.compile(r"The code to open it is: (\d{6})")
# Building the pack renders the PDF in the request (jobs inline): allow for it.
SLOW = 120_000


def test_dpo_answers_the_request_and_the_school_downloads_the_redacted_pack(
    app, smtp, live_server, page, browser, run_gather_jobs, tmp_path
):
    queue_url, run_jobs = run_gather_jobs
    world = build_world(db.session)
    dpo, secret = make_user("dpo@rightsdesk.example", Role.ADMIN)
    case = new_case(
        world.elm,
        requester_name="Siobhan O'Brien",
        requester_email=MOTHER_EMAIL,
        subject_name="Amelia O'Brien-Núñez",
        subject_dob=TWINS_BORN,
        description="Everything the school holds about my daughter Amelia.",
        # Recent, so the screenshots show a case inside its month, as most are.
        received_on=date.today() - timedelta(days=3),
    )
    assert case.status is CaseStatus.AWAITING_IDENTITY
    case_url = f"{live_server}/console/cases/{case.id}"

    # 20: signed in with a password and a TOTP code, the case page leads with its summary.
    sign_in(page, live_server, dpo, secret)
    page.goto(case_url)
    page.wait_for_selector("#next-heading")
    assert "Decide identity" in next_action(page).inner_text()
    assert page.locator("#clock-heading").is_visible() and page.locator("#timeline-heading").is_visible()
    assert_accessible(page, "case summary")
    screenshot(page, "20-case-summary")

    # 21: identity accepted, with the method and the reason.
    next_action(page).get_by_role("link", name="Decide identity").click()
    page.select_option("#identity-decision", "accept")
    page.select_option("#identity-method", "known_to_school")
    page.fill("#identity-reason", "The office knows Mrs O'Brien; she collects the twins every day.")
    page.fill("#identity-authority_evidence", "Named as mother on the admission form.")
    screenshot(page, "21-identity")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_selector("text=Identity decision recorded.")
    assert case_status(case) is CaseStatus.OPEN
    assert "Search the records" in next_action(page).inner_text()

    # 22: the records searched; Amelia's pupil record confirmed, her twin's rejected.
    next_action(page).get_by_role("link", name="Search the records").click()
    page.get_by_role("button", name="Search the records").click()
    page.wait_for_selector("text=The records were searched.")
    page.get_by_role("button", name=re.compile(r"^Confirm Amelia .*\(pupil record\)")).click()
    page.wait_for_selector("text=Decision recorded.")
    page.get_by_role("button", name=re.compile(r"^Reject Isla .*\(pupil record\)")).click()
    page.wait_for_selector("text=Decision recorded.")
    assert_accessible(page, "matches")
    screenshot(page, "22-matches")

    # 23: the gather queued; the case page follows it and reloads itself when done.
    app.config["REDIS_URL"] = queue_url
    page.get_by_role("button", name="Start gathering").click()
    page.wait_for_selector("h1:has-text('Gather progress')")
    app.config["REDIS_URL"] = None
    page.goto(case_url)
    page.wait_for_selector('#case-summary[data-following="true"]')
    assert page.locator("#live-status").inner_text().startswith("Gathering: 0 of 7 systems searched")
    assert page.locator('tr[data-source="pupils"] [data-field="status"]').inner_text() == "Queued"
    assert page.get_by_role("link", name=re.compile("Refresh")).is_visible()
    assert_accessible(page, "gather progress")
    screenshot(page, "23-gather-progress")
    page.evaluate("window.journeyBeforeReload = true")
    run_jobs(max_jobs=1)  # one source done: the page updates in place
    page.wait_for_function(
        "() => document.querySelectorAll('[data-field=status].status--done').length === 1",
        timeout=SLOW,
    )
    assert page.evaluate("window.journeyBeforeReload") is True
    assert page.locator("#live-status").inner_text().startswith("Gathering: 1 of 7 systems searched")
    with page.expect_navigation(timeout=SLOW):  # the script's reload, no Refresh header here
        run_jobs()
    page.wait_for_selector("#next-heading")
    assert page.evaluate("window.journeyBeforeReload") is None
    assert case_status(case) is CaseStatus.IN_REVIEW
    assert re.match(r"Every system has been searched: \d+ items collected", page.inner_text("#live-status"))
    assert page.locator('tr[data-source="pupils"] [data-field="status"]').inner_text() == "Done"
    assert re.fullmatch(r"\d+", page.locator('tr[data-source="pupils"] [data-field="items"]').inner_text())

    # 24: review; Isla's name redacted from each message through the suggestions.
    next_action(page).get_by_role("link", name=re.compile(r"^Review \d+ items$")).click()
    page.wait_for_selector("h1:has-text('Review')")
    assert_accessible(page, "review")
    suggested = [
        row.locator("th a").get_attribute("href")
        for row in page.locator("table tbody tr").all()
        if row.locator("td.numeric").inner_text().strip() != "0"
    ]
    assert suggested, "no item with a suggested name"
    for number, href in enumerate(suggested):
        page.goto(f"{live_server}{href}")
        assert page.locator("mark", has_text="Isla").count() >= 1
        if number == 0:
            assert_accessible(page, "item with suggestions")
            screenshot(page, "24-review-redaction")
        page.click("#accept-suggestions")
        page.wait_for_selector("h1:has-text('Review')")

    # 25: the rest disclosed and the review approved.
    page.get_by_role("button", name=re.compile(r"^Disclose every item not yet decided")).click()
    page.wait_for_selector("text=Every item has a decision")
    page.get_by_role("button", name="Approve the review").click()
    page.wait_for_function("() => !document.querySelector('#approve-heading')")
    assert case_status(case) is CaseStatus.APPROVED
    page.goto(case_url)
    assert "Build the pack" in next_action(page).inner_text()
    assert_accessible(page, "approved case")
    screenshot(page, "25-approved")

    # 26: the pack built (rendered in the request) and sent to the school's contact.
    next_action(page).get_by_role("link", name="Build the pack").click()
    page.get_by_role("button", name="Build the pack").click(timeout=SLOW)
    page.wait_for_selector("text=Version 1 (current)", timeout=SLOW)
    page.get_by_role("button", name="Send to the school").click()
    page.wait_for_selector("text=emailed to the school's data protection contact")
    assert_accessible(page, "pack")
    screenshot(page, "26-pack")
    page.goto(case_url)
    assert "1 to the school, 0 to the requester" in page.inner_text("#pack-status-heading + dl")

    # 27-29: the school, not signed in, opens the link, types the code and downloads.
    school_email = world.elm.dp_contact_email
    link = LINK.search(mail_text(smtp, school_email, "Response pack for request")).group(1)
    code = CODE.search(mail_text(smtp, school_email, "Your code for the response")).group(1)
    school = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB", bypass_csp=True)
    try:
        download_page = school.new_page()
        download_page.set_default_timeout(ACTION_TIMEOUT_MS)
        download_page.goto(link)
        download_page.wait_for_selector("#code")
        assert case.reference not in download_page.content()  # nothing about the case before the code
        assert_accessible(download_page, "school: link")
        screenshot(download_page, "27-school-link")
        download_page.fill("#code", code)
        download_page.get_by_role("button", name="Continue").click()
        download_page.wait_for_selector("h1:has-text('Download the response')")
        assert_accessible(download_page, "school: files")
        screenshot(download_page, "28-school-code")
        with download_page.expect_download() as started:
            download_page.get_by_role("button", name="Download the PDF").click()
        pdf_path = tmp_path / "response.pdf"
        started.value.save_as(pdf_path)
        download_page.goto(link)
        download_page.wait_for_selector("text=2 downloads")
        assert_accessible(download_page, "school: after the download")
        screenshot(download_page, "29-downloaded")
    finally:
        school.close()

    text = "\n".join(page_.extract_text() for page_ in PdfReader(pdf_path).pages)
    assert case.reference in text and "Amelia" in text and "Science project" in text
    assert "Isla" not in text
