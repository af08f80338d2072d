"""A parent asks for their daughter's data to be deleted, and the DPO carries
the erasure out, in a real browser.

Elm Primary holds Amelia (the subject), her twin Isla and their mother; Oak
Primary holds another Amelia with the same name, birthday and UPN. The
mother asks on the public form, from the keyboard, and confirms the code
from the email the app really sent. The DPO signs in with a password and a
TOTP code, accepts identity, confirms Amelia's pupil record and rejects
Isla's, gathers (RQ worker in burst mode with Redis, otherwise in this
process) and follows the case page's next action to the erasure plan:
per-system actions with reasons (consent kept under Art 17(3)(e)). The
plan is approved and executed, the worker runs the jobs, the page refreshes
itself until it shows the certificate, which is downloaded and read back.
The database then shows Amelia anonymised, her SEND records gone, Isla and
Oak's Amelia untouched, and the case responded. Every page on the way
passes the axe-core scan; each step is a screenshot in docs/screenshots
(30-34)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.accounts.models import Role
from app.cases.models import Case, CaseStatus, RequestType
from app.erasure.plan import plan_for
from app.extensions import db
from app.rights.retention import ANONYMISED_NAME
from app.sources.consent.models import ConsentRecord
from app.sources.pupils.models import Pupil, SendRecord
from tests.e2e.conftest import ACTION_TIMEOUT_MS, assert_accessible, screenshot
from tests.e2e.journey import case_status, next_action, sign_in
from tests.e2e.test_public_journey import CODE, _choose, _type
from tests.signin import make_user
from tests.unit.sources.factories import MOTHER_EMAIL, build_world

pytestmark = pytest.mark.e2e

# The erasure's last job renders the certificate; the page refreshes every 5 s.
SLOW = 120_000


def _ask_for_erasure(page, base: str) -> None:
    """The mother fills in the public form from the keyboard and sends it."""
    page.goto(f"{base}/")
    _choose(page, "input[name=request_type][value=erasure]")
    _choose(page, "input[name=requester_relationship][value=parent_carer]")
    _type(page, "input[name=school_query]", "Elm Primary")
    _type(page, "#subject_first_name", "Amelia")
    _type(page, "#subject_last_name", "O'Brien-Núñez")
    _type(page, "#subject_date_of_birth-day", "4")
    _type(page, "#subject_date_of_birth-month", "5")
    _type(page, "#subject_date_of_birth-year", "2015")
    _choose(page, "input[name=subject_role][value=pupil]")
    _type(page, "#description", "Please delete everything held about my daughter Amelia.")
    _type(page, "#requester_name", "Siobhan O'Brien")
    _type(page, "#requester_email", MOTHER_EMAIL)
    assert_accessible(page, "erasure request form")
    screenshot(page, "30-erasure-request")
    page.focus("form button[type=submit]")
    page.keyboard.press("Enter")


def _confirm(page, smtp) -> None:
    page.wait_for_url(re.compile(r".*/request/[0-9a-f-]+/confirm$"))
    assert_accessible(page, "erasure: confirm page")
    (message,) = [m.message for m in smtp.messages if m.rcpt_tos == [MOTHER_EMAIL]]
    _type(page, "#code", CODE.search(message.get_body(("plain",)).get_content()).group(1))
    page.keyboard.press("Enter")
    page.wait_for_selector("text=SAR-")
    assert_accessible(page, "erasure: request confirmed")


def _row(page, source: str, category: str):
    """The plan's row for one category in one system's table."""
    return page.locator(f"section[aria-labelledby=source-{source}] tbody tr", has_text=category)


def _count(statement) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.subquery()))


def test_parent_asks_for_erasure_and_the_dpo_carries_it_out_with_a_certificate(
    app, smtp, live_server, page, browser, run_gather_jobs, tmp_path
):
    queue_url, run_jobs = run_gather_jobs
    world = build_world(db.session)
    dpo, secret = make_user("dpo@rightsdesk.example", Role.ADMIN)
    amelia_consents = select(ConsentRecord).where(ConsentRecord.person_id == world.amelia.id)
    consents_before = _count(amelia_consents)
    assert consents_before and _count(select(SendRecord).where(SendRecord.pupil_id == world.amelia.id))

    # 30: the mother asks on the public form and confirms her email address.
    parent = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB", bypass_csp=True)
    try:
        form = parent.new_page()
        form.set_default_timeout(ACTION_TIMEOUT_MS)
        _ask_for_erasure(form, live_server)
        _confirm(form, smtp)
    finally:
        parent.close()
    case = db.session.scalars(select(Case)).one()
    db.session.refresh(case)
    assert case.request_type is RequestType.ERASURE and case.organisation_id == world.elm.id
    assert case.status is CaseStatus.AWAITING_IDENTITY
    case_url = f"{live_server}/console/cases/{case.id}"

    # The DPO: identity accepted, Amelia's record confirmed and her twin's rejected.
    sign_in(page, live_server, dpo, secret)
    page.goto(case_url)
    page.wait_for_selector("#next-heading")
    assert_accessible(page, "erasure case")
    next_action(page).get_by_role("link", name="Decide identity").click()
    page.select_option("#identity-decision", "accept")
    page.select_option("#identity-method", "known_to_school")
    page.fill("#identity-reason", "The office knows Mrs O'Brien; she collects the twins every day.")
    page.fill("#identity-authority_evidence", "Named as mother on the admission form.")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_selector("text=Identity decision recorded.")
    assert case_status(case) is CaseStatus.OPEN
    next_action(page).get_by_role("link", name="Search the records").click()
    page.get_by_role("button", name="Search the records").click()
    page.wait_for_selector("text=The records were searched.")
    page.get_by_role("button", name=re.compile(r"^Confirm Amelia .*\(pupil record\)")).click()
    page.wait_for_selector("text=Decision recorded.")
    page.get_by_role("button", name=re.compile(r"^Reject Isla .*\(pupil record\)")).click()
    page.wait_for_selector("text=Decision recorded.")
    assert_accessible(page, "erasure matches")

    # The gather, run by the worker; the case moves to review when every system is searched.
    app.config["REDIS_URL"] = queue_url
    page.get_by_role("button", name="Start gathering").click()
    page.wait_for_selector("h1:has-text('Gather progress')")
    app.config["REDIS_URL"] = None
    assert_accessible(page, "erasure gather progress")
    run_jobs()
    # The page's Refresh header reloads it until every system is searched; a
    # goto racing that reload is aborted, so wait for the last reload first.
    page.wait_for_selector("text=Every system has been searched", timeout=SLOW)
    page.goto(case_url)
    page.wait_for_selector("#next-heading")
    assert case_status(case) is CaseStatus.IN_REVIEW
    assert "Approve the erasure plan" in next_action(page).inner_text()
    assert_accessible(page, "erasure case in review")

    # 31: the case page's next action leads to the plan, built with a reason for each thing kept.
    next_action(page).get_by_role("link", name="Approve the erasure plan").click()
    page.wait_for_selector("h1:has-text('Erasure plan')")
    assert "No plan has been built yet." in page.inner_text("main")
    assert_accessible(page, "erasure page before the plan")
    page.get_by_role("button", name="Build the plan").click()
    page.wait_for_selector("text=The erasure plan is ready to check.")
    assert "Anonymise" in _row(page, "pupils", "Pupil record (name").inner_text()
    assert "Delete" in _row(page, "pupils", "Special educational needs").inner_text()
    consent = page.locator("section[aria-labelledby=source-consent] tbody tr").first.inner_text()
    assert "Keep" in consent and "Art 17(3)(e)" in consent
    assert "Art 17(3)(b)" in page.inner_text("section[aria-labelledby=source-access_log]")
    assert page.get_by_role("button", name="Rebuild the plan").is_visible()
    assert_accessible(page, "erasure plan")
    screenshot(page, "31-erasure-plan")

    # The DPO keeps a category out (the request asked for less), sees why, then undoes it.
    page.get_by_label("Category", exact=True).select_option("correspondence:correspondence")
    page.get_by_label("What to do with it").select_option("not_requested")
    page.get_by_role("button", name="Change the plan").click()
    page.wait_for_selector("text=The erasure plan is rebuilt with your change.")
    kept = _row(page, "correspondence", "Messages about the subject only").inner_text()
    assert "Keep" in kept and "did not ask for these records" in kept
    assert_accessible(page, "erasure plan with a category kept out")
    page.get_by_label("Category", exact=True).select_option("correspondence:correspondence")
    page.get_by_label("What to do with it").select_option("")
    page.get_by_role("button", name="Change the plan").click()
    page.wait_for_selector("text=The erasure plan is rebuilt with your change.")
    assert "Delete" in _row(page, "correspondence", "Messages about the subject only").inner_text()

    # 32: approved; the plan cannot change now, only be executed.
    page.get_by_role("button", name="Approve the plan").click()
    page.wait_for_selector("text=The erasure plan is approved.")
    assert case_status(case) is CaseStatus.APPROVED
    assert page.get_by_role("button", name="Rebuild the plan").count() == 0
    assert page.get_by_role("button", name="Execute the erasure").is_visible()
    assert_accessible(page, "erasure plan approved")
    screenshot(page, "32-erasure-approved")

    # 33: executing, a job per system on the worker; the page refreshes itself until done.
    app.config["REDIS_URL"] = queue_url
    page.get_by_role("button", name="Execute the erasure").click()
    page.wait_for_selector("text=The erasure is under way.")
    app.config["REDIS_URL"] = None
    assert case_status(case) is CaseStatus.EXECUTING
    assert "this page refreshes every 5 seconds" in page.inner_text("main")
    assert "Planned" in _row(page, "pupils", "Special educational needs").inner_text()
    assert_accessible(page, "erasure executing")
    screenshot(page, "33-erasure-executing")
    with page.expect_navigation(timeout=SLOW):  # the Refresh header, not the test, reloads it
        run_jobs()
    page.wait_for_selector("#certificate-heading", timeout=SLOW)
    assert case_status(case) is CaseStatus.RESPONDED
    done = page.inner_text("main")
    assert "Planned" not in done and "refreshes" not in done
    send_row = _row(page, "pupils", "Special educational needs").inner_text()
    assert re.search(r"Done .*\(\d+ changed\)", send_row)
    assert_accessible(page, "erasure done")
    screenshot(page, "34-erasure-done")

    # The certificate, downloaded in the browser and read back.
    with page.expect_download() as started:
        page.get_by_role("link", name="Download the erasure certificate (PDF)").click()
    assert started.value.suggested_filename == f"{case.reference}-erasure-certificate.pdf"
    pdf_path = tmp_path / "certificate.pdf"
    started.value.save_as(pdf_path)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf_path).pages).split())
    db.session.expire_all()
    plan = plan_for(db.session.get(Case, case.id))
    backups = plan.backups_expire_on
    assert backups == plan.erased_on + timedelta(days=90)
    assert case.reference in text and "Certificate of erasure" in text
    assert "Pupil record (name, UPN, date of birth, address) (1 record), anonymised" in text
    assert re.search(r"Special educational needs records \(\d+ records?\), deleted", text)
    assert "What we have had to keep, and why" in text
    assert re.search(r"Consent ledger entries \(\d+ records?\) Kept as evidence .*Art 17\(3\)\(e\)", text)
    assert f"leaves the backups by {backups.day} {backups:%B %Y}" in text
    assert "Amelia" not in text and "Núñez" not in text  # the case reference names her

    # In the stores: Amelia anonymised, her SEND records gone, consent kept; nobody else touched.
    amelia = db.session.get(Pupil, world.amelia.id)
    assert amelia.legal_forename == ANONYMISED_NAME and amelia.anonymised_at is not None
    assert _count(select(SendRecord).where(SendRecord.pupil_id == world.amelia.id)) == 0
    assert _count(amelia_consents) == consents_before
    assert db.session.get(Pupil, world.isla.id).legal_forename == "Isla"
    oak_amelia = db.session.get(Pupil, world.oak_amelia.id)
    assert oak_amelia.legal_forename == "Amelia" and oak_amelia.anonymised_at is None
    assert _count(select(SendRecord).where(SendRecord.pupil_id == world.oak_amelia.id))
