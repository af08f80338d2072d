"""The requester's private status page: opened by the link in the
acknowledgement, the timeline and due date, evidence uploads (good, wrong
type, too big, missing, too many, not needed), answering a clarification,
unknown and expired links, and the staff side (asking for proof, seeing
and downloading what arrived)."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.blobs.models import BlobChunk
from app.blobs.services import open_blob
from app.cases import clock_changes, evidence, identity, lifecycle, services
from app.cases.clock import due_date
from app.cases.models import Case, CaseEvidence, CaseStatus, CaseStatusLink
from app.cases.status_links import DAYS_AFTER_CLOSE, mint_status_link, revoke_status_links
from app.db import utcnow
from app.extensions import db
from app.intake.uploads import MAX_UPLOAD_BYTES
from app.letters.services import format_date
from app.mail.models import OutboxMessage
from tests.evidence_files import image_file, pdf_file
from tests.signin import csrf_token, make_organisation, make_user, sign_in
from tests.unit.cases.factory import new_case, opened_case

STATUS_LINK = re.compile(r"https?://[^/\s]+(/request/status/[A-Za-z0-9_-]+)")
PDF = pdf_file()
PNG = image_file("PNG")


@pytest.fixture
def school(db_session):
    organisation = make_organisation("Oak Primary")
    db_session.commit()
    return organisation


@pytest.fixture
def caseworker_login(db_session):
    return make_user("cw@example.org", Role.CASEWORKER)


@pytest.fixture
def caseworker(caseworker_login):
    return caseworker_login[0]


def _case(school, **overrides) -> Case:
    return new_case(school, received_on=utcnow().date(), **overrides)


def _link(case: Case) -> str:
    url = mint_status_link(case)
    db.session.commit()
    return STATUS_LINK.search(url).group(1)


def _upload(
    client, path: str, content: bytes, filename: str, *, kind: str | None = "identity", mimetype=None
):
    data = {
        "csrf_token": csrf_token(client, path),
        "evidence_file": (io.BytesIO(content), filename, mimetype),
    }
    if kind is not None:
        data["evidence_kind"] = kind
    return client.post(f"{path}/evidence", data=data, content_type="multipart/form-data")


def _fresh(case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def test_acknowledgement_link_opens_the_status_page_with_due_date_and_timeline(client, school):
    case = _case(school)
    [ack] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.category == "case.acknowledgement"))
    path = STATUS_LINK.search(ack.text_body).group(1)
    response = client.get(path)
    assert response.status_code == 200
    text = response.text
    assert case.reference in text and "We are checking who you are" in text
    assert "We must respond by" in text and "Oak Primary" in text
    assert "We received your request" in text and "You confirmed your email address" in text
    # Internal steps (mail sent, assignment) stay off the requester's page.
    assert "mail sent" not in text.lower() and "case.acknowledgement" not in text
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_status_link_is_stored_only_as_a_hash(client, school):
    case = _case(school)
    path = _link(case)
    token = path.rsplit("/", 1)[1]
    hashes = db.session.scalars(
        select(CaseStatusLink.token_hash).where(CaseStatusLink.case_id == case.id)
    ).all()
    assert len(hashes) == 2  # one in the acknowledgement, one minted here
    assert token not in hashes and all(len(value) == 64 for value in hashes)


def test_status_page_unknown_revoked_or_long_closed_links_are_not_found(client, school, caseworker):
    assert client.get("/request/status/not-a-token").status_code == 404
    case = _case(school)
    path = _link(case)
    revoke_status_links(case)
    db.session.commit()
    assert client.get(path).status_code == 404
    closed = _case(school, requester_email="other@example.net")
    closed_path = _link(closed)
    services.withdraw(closed, caseworker, asked_by="email")
    closed.status = CaseStatus.CLOSED
    closed.closed_at = utcnow() - timedelta(days=DAYS_AFTER_CLOSE - 1)
    db.session.commit()
    assert client.get(closed_path).status_code == 200  # still within the window
    closed.closed_at = utcnow() - timedelta(days=DAYS_AFTER_CLOSE + 1)
    db.session.commit()
    assert client.get(closed_path).status_code == 404


def test_upload_identity_pdf_asked_for_is_stored_encrypted_and_starts_the_clock(client, school, caseworker):
    case = _case(school, requester_relationship="self", subject_role="parent", subject_name="Jo Parent")
    evidence.request_identity(case, caseworker)  # only proof asked for moves the clock
    path = _link(case)
    response = _upload(client, path, PDF, "passport.pdf", kind=None, mimetype="application/pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith("?done=uploaded")
    case = _fresh(case)
    [item] = case.evidence
    assert item.kind.value == "identity" and item.filename == "passport.pdf"
    assert item.blob.content_type == "application/pdf" and item.blob.size == len(PDF)
    assert b"".join(open_blob(item.blob_id)) == PDF
    sealed = b"".join(db.session.scalars(select(BlobChunk.sealed).where(BlobChunk.blob_id == item.blob_id)))
    assert b"%PDF" not in sealed
    assert case.identity_received_on == utcnow().date()
    page = client.get(f"{path}?done=uploaded").text
    assert "We have received your file" in page and "passport.pdf" in page
    assert "We received your proof of identity" in page
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == case.id)).all()
    assert "case.evidence_received" in actions


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"just some text", "passport.pdf", "The file must be a PDF, JPG or PNG"),
        (PDF, "passport.exe", "The file must be a PDF, JPG or PNG"),
        (PNG, "photo.jpg", "The file must be a PDF, JPG or PNG"),
        (b"", "empty.pdf", "The selected file is empty"),
        (b"%PDF-" + b"0" * MAX_UPLOAD_BYTES, "huge.pdf", "The file must be smaller than 10 MB"),
    ],
)
def test_upload_refused_with_a_reason_stores_nothing(client, school, content, filename, message):
    case = _case(school)
    path = _link(case)
    response = _upload(client, path, content, filename)
    assert response.status_code == 200
    assert "There is a problem" in response.text and message in response.text
    assert 'href="#evidence_file"' in response.text
    assert db.session.scalars(select(CaseEvidence)).all() == []
    assert _fresh(case).identity_received_on is None


def test_upload_without_a_file_or_kind_asks_for_them(client, school):
    case = _case(school)  # a parent: the page asks what the document proves
    path = _link(case)
    assert 'name="evidence_kind"' in client.get(path).text
    no_file = client.post(
        f"{path}/evidence",
        data={"csrf_token": csrf_token(client, path), "evidence_kind": "identity"},
        content_type="multipart/form-data",
    )
    assert "Select a file" in no_file.text
    no_kind = _upload(client, path, PDF, "birth.pdf", kind=None)
    assert "Select what the document proves" in no_kind.text
    assert db.session.scalars(select(CaseEvidence)).all() == []


def test_upload_authority_evidence_records_its_own_clock_input(client, school, caseworker):
    case = _case(school)
    evidence.request_identity(case, caseworker)
    path = _link(case)
    assert _upload(client, path, PNG, "birth-certificate.png", kind="authority").status_code == 302
    case = _fresh(case)
    assert case.authority_received_on == utcnow().date() and case.identity_received_on is None
    assert "proof that you can act for someone else" in client.get(path).text


def test_upload_is_refused_once_identity_is_decided(client, school, caseworker):
    case = opened_case(school, caseworker, received_on=utcnow().date())
    path = _link(case)
    page = client.get(path).text
    assert 'name="evidence_file"' not in page
    # A page left open from before the decision still posts the form.
    response = client.post(
        f"{path}/evidence",
        data={
            "csrf_token": csrf_token(client, "/"),
            "evidence_kind": "identity",
            "evidence_file": (io.BytesIO(PDF), "late.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert "We do not need any documents for this request now" in response.text
    assert db.session.scalars(select(CaseEvidence)).all() == []


def test_upload_without_csrf_token_is_refused(client, school):
    path = _link(_case(school))
    response = client.post(
        f"{path}/evidence",
        data={"evidence_kind": "identity", "evidence_file": (io.BytesIO(PDF), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.session.scalars(select(CaseEvidence)).all() == []


def test_upload_count_is_limited_per_case(client, school, monkeypatch):
    monkeypatch.setattr("app.cases.evidence.MAX_FILES_PER_CASE", 2)
    path = _link(_case(school))
    assert _upload(client, path, PDF, "1.pdf").status_code == 302
    assert _upload(client, path, PDF, "2.pdf").status_code == 302
    third = _upload(client, path, PDF, "3.pdf")
    assert third.status_code == 200 and "You can send up to" in third.text
    assert len(db.session.scalars(select(CaseEvidence)).all()) == 2


def _paused(school, caseworker) -> Case:
    case = opened_case(school, caseworker, received_on=utcnow().date() - timedelta(days=5))
    clock_changes.pause(case, caseworker, reason="clarify_dates", question="Which school years do you mean?")
    db.session.commit()
    return case


def test_answer_resumes_the_case_and_keeps_the_words(client, school, caseworker):
    case = _paused(school, caseworker)
    path = _link(case)
    page = client.get(path).text
    assert "Waiting for your answer" in page and "Which school years do you mean?" in page
    empty = client.post(f"{path}/answer", data={"csrf_token": csrf_token(client, path), "answer": "  "})
    assert empty.status_code == 200 and "Enter your answer" in empty.text
    assert _fresh(case).status is CaseStatus.PAUSED
    response = client.post(
        f"{path}/answer", data={"csrf_token": csrf_token(client, path), "answer": "Years 5 and 6 only."}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("?done=answered")
    case = _fresh(case)
    assert case.status is CaseStatus.OPEN
    [pause] = case.pauses
    assert pause.answer == "Years 5 and 6 only." and pause.answered_on == utcnow().date()
    page = client.get(path).text
    assert "You answered our question" in page and 'name="answer"' not in page
    # A second answer (another tab) changes nothing.
    again = client.post(f"{path}/answer", data={"csrf_token": csrf_token(client, "/"), "answer": "More"})
    assert again.status_code == 302 and _fresh(case).pauses[0].answer == "Years 5 and 6 only."


def test_paused_status_page_shows_the_date_before_the_pause_and_that_it_will_move(client, school, caseworker):
    case = _paused(school, caseworker)
    before = due_date(case.received_on, school.nation.value)
    page = client.get(_link(case)).text
    shown = page.split("We must respond by</dt>", 1)[1].split("</dd>", 1)[0]
    assert format_date(before) in shown
    assert f"paused the time limit on {format_date(utcnow().date())}" in shown
    assert "will move later by the number of days the time limit stays paused" in shown
    answered = client.post(
        f"{_link(case)}/answer", data={"csrf_token": csrf_token(client, _link(case)), "answer": "Year 6."}
    )
    done = client.get(answered.headers["Location"]).text
    assert "starts again tomorrow" in done and "has started again" not in done


def test_answer_too_long_is_refused_and_kept_for_editing(client, school, caseworker):
    path = _link(_paused(school, caseworker))
    long_answer = "x" * 5001
    response = client.post(
        f"{path}/answer", data={"csrf_token": csrf_token(client, path), "answer": long_answer}
    )
    assert "Your answer must be 5,000 characters or fewer" in response.text and long_answer in response.text


def test_staff_ask_for_proof_sends_a_working_upload_link(app, client, school, caseworker_login):
    user, secret = caseworker_login
    case = _case(school)
    staff = app.test_client()
    sign_in(staff, user, secret)
    page = f"/console/cases/{case.id}"
    response = staff.post(
        f"{page}/request_identity", data={"csrf_token": csrf_token(staff, page)}, follow_redirects=True
    )
    assert "Proof of identity asked for" in response.text
    [mail] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.category == "case.identity_request")
    )
    assert "proof that you can act for them" in mail.text_body
    path = STATUS_LINK.search(mail.text_body).group(1)
    assert _upload(client, path, PDF, "passport.pdf").status_code == 302
    case_page = staff.get(page).text
    assert "Evidence sent" in case_page and "passport.pdf" in case_page
    [item] = _fresh(case).evidence
    download = staff.get(f"{page}/evidence/{item.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith('attachment; filename="passport.pdf"')
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == case.id)).all()
    assert "case.identity_requested" in actions and "case.evidence_downloaded" in actions


def test_staff_evidence_download_of_another_organisations_case_is_not_found(app, client, school, db_session):
    willow = make_organisation("Willow Academy")
    db_session.commit()
    case = _case(school)
    path = _link(case)
    _upload(client, path, PDF, "passport.pdf")
    [item] = _fresh(case).evidence
    head, secret = make_user("head@willow.example.org", Role.SCHOOL, willow)
    staff = app.test_client()
    sign_in(staff, head, secret)
    assert staff.get(f"/console/cases/{case.id}/evidence/{item.id}").status_code == 404


def test_decision_without_a_date_uses_the_day_the_evidence_arrived(client, school, caseworker):
    user = caseworker
    received = utcnow().date() - timedelta(days=3)
    case = new_case(school, received_on=received)
    evidence.request_identity(case, user)
    path = _link(case)
    _upload(client, path, PDF, "passport.pdf")
    _upload(client, path, PNG, "order.png", kind="authority")
    case = _fresh(case)
    identity.decide_identity(
        case,
        user,
        accepted=True,
        method="documents_seen",
        reason="Passport and birth certificate seen.",
        authority_evidence="Birth certificate names the requester as mother.",
        today=utcnow().date() + timedelta(days=2),
    )
    db.session.commit()
    case = _fresh(case)
    # The day the files came, not the day of the decision two days later.
    assert case.identity_received_on == utcnow().date() == case.authority_received_on


def test_confirmed_page_links_to_the_status_page(client, school):
    from tests.functional.test_intake_confirm import latest_code, type_code
    from tests.functional.test_intake_form import good_form, post

    page = post(client, good_form(school)).headers["Location"]
    confirmed = type_code(client, page, latest_code())
    match = STATUS_LINK.search(confirmed.text)
    assert match and "See how your request is going" in confirmed.text
    status = client.get(match.group(1))
    assert status.status_code == 200 and "We are checking who you are" in status.text


def test_unknown_link_page_offers_a_new_link(client):
    response = client.get("/request/status/not-a-token")
    assert response.status_code == 404 and "Get a new link to your request" in response.text


def _ask_for_link(client, reference: str, email: str):
    token = csrf_token(client, "/request/status")
    return client.post("/request/status", data={"csrf_token": token, "reference": reference, "email": email})


def test_new_link_is_emailed_only_when_reference_and_email_match(client, school):
    case = _case(school)
    sent = select(OutboxMessage).where(OutboxMessage.category == "case.status_link")
    wrong_email = _ask_for_link(client, case.reference, "someone.else@example.net")
    unknown = _ask_for_link(client, "SAR-1999-000001", "jo.parent@example.net")
    # The same answer either way: the form tells nobody which requests exist.
    assert wrong_email.text == unknown.text and "If the reference and email address match" in unknown.text
    assert db.session.scalars(sent).all() == []
    right = _ask_for_link(client, case.reference.lower(), "  Jo.Parent@Example.NET ")
    assert right.text == unknown.text
    [mail] = db.session.scalars(sent).all()
    assert mail.recipients == "jo.parent@example.net"
    path = STATUS_LINK.search(mail.text_body).group(1)
    assert client.get(path).status_code == 200
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == case.id)).all()
    assert "case.status_link_refused" in actions and "case.status_link_sent" in actions


def test_new_link_form_explains_bad_input(client):
    response = _ask_for_link(client, "my request", "not-an-address")
    assert response.status_code == 200 and "There is a problem" in response.text
    assert "Enter your reference, like SAR-2026-000123" in response.text
    assert "Enter an email address in the correct format" in response.text
    assert 'value="my request"' in response.text


def _timeline(page: str) -> list[str]:
    """The timeline's lines, in the order shown, without their dates."""
    listed = page.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    return [
        re.sub(r"\s+", " ", html.unescape(line)).strip()
        for line in re.findall(r'<span class="timeline__date">[^<]*</span>(.*?)</li>', listed, re.S)
    ]


def test_timeline_reads_oldest_first_in_the_requesters_words(client, school, caseworker):
    case = _case(school, requester_relationship="parent_carer")
    identity.decide_identity(
        case,
        caseworker,
        accepted=True,
        method="known_to_school",
        reason="Known to the office.",
        authority_evidence="Mother on the admission form.",
    )
    clock_changes.pause(case, caseworker, reason="clarify_dates", question="Which school years?")
    clock_changes.resume(case, caseworker)
    for status in (CaseStatus.GATHERING, CaseStatus.IN_REVIEW, CaseStatus.APPROVED, CaseStatus.RESPONDED):
        lifecycle.move(case, status, caseworker)
    db.session.commit()
    page = client.get(_link(case)).text
    assert "What has happened so far" in page
    assert _timeline(page) == [
        "We received your request",
        "You confirmed your email address",
        "We finished checking who you are and started work on your request",
        "We asked you a question. The time limit is paused until you answer",
        "You answered our question. The time limit started again the next day",
        "We started looking for the information you asked about",
        "We started checking the information we found, before sending it to you",
        "We finished preparing our response to you",
        "We sent you our response",
    ]
    assert "approved" not in page.lower()


def test_a_request_withdrawn_while_waiting_for_an_answer_does_not_say_it_was_answered(
    client, school, caseworker
):
    case = _paused(school, caseworker)
    services.withdraw(case, caseworker, asked_by="email")
    db.session.commit()
    lines = _timeline(client.get(_link(case)).text)
    assert lines[-2:] == [
        "We asked you a question. The time limit is paused until you answer",
        "Your request was withdrawn",
    ]
    assert "You answered our question. The time limit started again" not in lines
