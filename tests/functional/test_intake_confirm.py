"""Email confirmation over HTTP: the code arrives through the outbox, a wrong
code is refused, the right one (or the emailed link) confirms the request
with a reference, the acknowledgement and the school's notice; expiry, too
many attempts, the resend cooldown, CSRF and the per-IP rate limit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case, CaseStatus
from app.db import utcnow
from app.extensions import db
from app.intake.confirmation import CATEGORY
from app.mail.models import OutboxMessage
from tests.functional.test_intake_form import good_form, post, school  # noqa: F401 (fixture)
from tests.signin import csrf_token

CODE = re.compile(r"Your confirmation code is: (\d{6})")
LINK = re.compile(r"https?://\S+/request/confirm/(\S+)")


def mails(category: str) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.category == category).order_by(OutboxMessage.created_at)
    return list(db.session.scalars(query))


def latest_code() -> str:
    match = CODE.search(mails(CATEGORY)[-1].text_body)
    assert match
    return match.group(1)


def latest_link_path() -> str:
    match = LINK.search(mails(CATEGORY)[-1].text_body)
    assert match
    return f"/request/confirm/{match.group(1)}"


def the_case() -> Case:
    db.session.expire_all()
    [case] = db.session.scalars(select(Case)).all()
    return case


def outcomes() -> list[str]:
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.confirmation_checked").order_by(AuditEvent.id)
    )
    return [event.data["outcome"] for event in events]


@pytest.fixture
def submitted(client, school):  # noqa: F811 (fixture)
    """A request submitted through the form: (its code page, the school)."""
    response = post(client, good_form(school))
    assert response.status_code == 302
    return response.headers["Location"]


def type_code(client, page: str, code: str):
    # The session's token, from the request form: a settled request's page has no form.
    return client.post(page, data={"code": code, "csrf_token": csrf_token(client, "/")})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_confirm_with_a_wrong_then_the_right_code_confirms_the_request(client, submitted):
    [sent] = mails(CATEGORY)
    assert sent.recipients == "sam@example.com" and sent.html_body and "confirm" in sent.html_body
    code = latest_code()
    page = client.get(submitted)
    assert (
        page.status_code == 200
        and "Enter it here" in page.text
        and page.headers["Cache-Control"] == "no-store"
    )
    assert "Alex" not in page.text and "sam@example.com" not in page.text

    refused = type_code(client, submitted, wrong(code))
    assert refused.status_code == 200 and "The code is not correct" in refused.text
    assert 'href="#code"' in refused.text and 'id="code-error"' in refused.text
    assert "attempts left" not in refused.text
    assert the_case().status is CaseStatus.SUBMITTED and the_case().code_attempts == 1

    confirmed = type_code(client, submitted, f"{code[:3]} {code[3:]}")  # as people copy it
    case = the_case()
    assert confirmed.status_code == 200 and case.status is CaseStatus.AWAITING_IDENTITY
    assert case.reference and case.reference.startswith("SAR-") and case.reference in confirmed.text
    assert "What happens next" in confirmed.text
    [acknowledgement] = mails("case.acknowledgement")
    [notice] = mails("case.school_notice")
    assert acknowledgement.recipients == "sam@example.com" and case.reference in acknowledgement.subject
    assert acknowledgement.html_body and case.reference in acknowledgement.html_body
    assert notice.recipients == "dpo@example.org" and f"/console/cases/{case.id}" in notice.text_body
    assert outcomes() == ["wrong", "confirmed"]


def test_confirm_link_from_the_email_confirms_the_request(client, submitted):
    response = client.get(latest_link_path())
    case = the_case()
    assert response.status_code == 200 and case.status is CaseStatus.AWAITING_IDENTITY
    assert case.reference in response.text and len(mails("case.acknowledgement")) == 1
    again = client.get(latest_link_path())
    assert "already confirmed" in again.text and case.reference not in again.text
    assert outcomes() == ["confirmed", "already_confirmed"]


def test_confirm_link_with_an_unknown_token_is_not_found(client, submitted):
    response = client.get("/request/confirm/not-a-real-token")
    assert response.status_code == 404 and "This link does not work" in response.text
    assert the_case().status is CaseStatus.SUBMITTED and outcomes() == ["unknown_link"]


def test_confirm_code_after_30_minutes_has_expired_and_offers_a_new_one(client, submitted):
    code = latest_code()
    case = the_case()
    case.code_issued_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    response = type_code(client, submitted, code)
    assert "Your code has expired" in response.text and "Send a new code" in response.text
    assert the_case().status is CaseStatus.SUBMITTED
    assert "Your code has expired" in client.get(latest_link_path()).text
    assert the_case().status is CaseStatus.SUBMITTED and outcomes() == ["expired", "expired"]


def test_confirm_code_after_five_wrong_attempts_needs_a_new_code(client, submitted):
    code = latest_code()
    for _ in range(4):
        assert "The code is not correct" in type_code(client, submitted, wrong(code)).text
    fifth = type_code(client, submitted, wrong(code))
    assert "Too many attempts" in fifth.text and "Send a new code" in fifth.text
    assert "Too many attempts" in type_code(client, submitted, code).text  # even the right one now
    assert the_case().status is CaseStatus.SUBMITTED and the_case().code_attempts == 5

    case = the_case()
    case.code_issued_at = utcnow() - timedelta(seconds=61)  # past the resend cooldown
    db.session.commit()
    resent = client.post(f"{submitted}/resend", data={"csrf_token": csrf_token(client, submitted)})
    assert resent.status_code == 302 and resent.headers["Location"] == f"{submitted}?sent=1"
    assert "We have sent you a new code" in client.get(resent.headers["Location"]).text
    assert len(mails(CATEGORY)) == 2 and the_case().code_attempts == 0
    new_code = latest_code()
    assert the_case().reference is None
    confirmed = type_code(client, submitted, new_code)
    assert the_case().status is CaseStatus.AWAITING_IDENTITY and the_case().reference in confirmed.text


def test_resend_within_60_seconds_is_refused(client, submitted):
    response = client.post(f"{submitted}/resend", data={"csrf_token": csrf_token(client, submitted)})
    assert response.status_code == 200 and re.search(
        r"Wait \d+ seconds, then ask for a new code", response.text
    )
    assert len(mails(CATEGORY)) == 1


def test_resend_replaces_the_old_link(client, submitted):
    old_link = latest_link_path()
    case = the_case()
    case.code_issued_at = utcnow() - timedelta(seconds=61)
    db.session.commit()
    client.post(f"{submitted}/resend", data={"csrf_token": csrf_token(client, submitted)})
    assert client.get(old_link).status_code == 404
    assert client.get(latest_link_path()).status_code == 200
    assert the_case().status is CaseStatus.AWAITING_IDENTITY


def test_confirm_code_without_csrf_token_is_refused(client, submitted):
    response = client.post(submitted, data={"code": latest_code()})
    assert response.status_code == 400
    resend = client.post(f"{submitted}/resend")
    assert resend.status_code == 400
    assert the_case().status is CaseStatus.SUBMITTED and the_case().code_attempts == 0
    assert len(mails(CATEGORY)) == 1


def test_confirm_code_left_empty_asks_for_it_without_counting(client, submitted):
    response = type_code(client, submitted, "  ")
    assert "Enter the 6-digit code we sent to your email" in response.text
    assert the_case().code_attempts == 0


def test_confirm_page_of_a_confirmed_request_says_so_without_the_reference(client, submitted):
    type_code(client, submitted, latest_code())
    reference = the_case().reference
    page = client.get(submitted)
    assert "You have already confirmed your email address" in page.text and reference not in page.text
    again = type_code(client, submitted, latest_code())
    assert "already confirmed" in again.text and reference not in again.text


def test_confirm_page_of_a_withdrawn_request_says_it_is_closed(client, submitted):
    from app.cases.services import withdraw

    withdraw(the_case(), None)
    db.session.commit()
    assert "This request has been closed" in client.get(submitted).text
    assert "This request has been closed" in type_code(client, submitted, latest_code()).text
    assert "This request has been closed" in client.get(latest_link_path()).text
    assert the_case().status is CaseStatus.WITHDRAWN and the_case().reference is None


def test_confirm_page_of_an_unknown_request_is_not_found(client, school):  # noqa: F811 (fixture)
    assert client.get("/request/01a20549-9b8b-7621-a978-9615d84c3e8f/confirm").status_code == 404


def test_confirm_code_is_rate_limited_per_ip(app, client, submitted):
    app.config["LIMIT_CONFIRM_IP"] = "2 per hour"
    code = latest_code()
    assert type_code(client, submitted, wrong(code)).status_code == 200
    assert type_code(client, submitted, wrong(code)).status_code == 200
    response = type_code(client, submitted, code)
    assert response.status_code == 429 and "Too many attempts" in response.text
    assert the_case().status is CaseStatus.SUBMITTED


def test_request_left_unconfirmed_for_7_days_is_withdrawn_and_its_code_stops_working(client, submitted):
    from app.cases.unconfirmed import withdraw_unconfirmed

    case = the_case()
    case.received_on -= timedelta(days=8)
    db.session.commit()
    assert withdraw_unconfirmed() == 1
    db.session.commit()
    response = type_code(client, submitted, latest_code())
    assert "This request has been closed" in response.text
    assert the_case().status is CaseStatus.WITHDRAWN and the_case().reference is None


def test_submit_keeps_the_request_and_its_code_mail_when_smtp_is_down(app, client, school):  # noqa: F811
    app.config["SMTP_URL"] = "smtp://127.0.0.1:9"  # discard port: nothing listens
    response = post(client, good_form(school))
    assert response.status_code == 302
    assert the_case().status is CaseStatus.SUBMITTED
    [message] = mails(CATEGORY)
    assert message.status.value in ("pending", "failed") and CODE.search(message.text_body)
