"""The public request flow with mail delivered for real: the app's delivery
job speaks SMTP to an in-process server (the ``smtp`` fixture), jobs run
inline, so each message arrives when the request that sent it commits.

What is checked is what a person receives: envelope, headers, the code and
link read from the message itself, and that no one's details leak into a
message meant for someone else. SMTP being down loses nothing: the case is
kept, the message waits as failed, and the periodic retry delivers it once.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.cases.models import Case, CaseStatus
from app.extensions import db
from app.intake.confirmation import CATEGORY
from app.jobs.models import Job, JobStatus
from app.jobs.schedule import PERIODIC
from app.mail.models import OutboxMessage, OutboxStatus
from app.mail.services import DEFAULT_MAX_ATTEMPTS
from tests.functional.test_intake_form import good_form, post, school  # noqa: F401 (fixture)
from tests.signin import csrf_token
from tests.unit.mail.smtpd import Collector, Received, free_port, smtp_server

SENDER = "Rights Desk <rights@desk.example>"
REQUESTER = "sam.green@example.com"
SCHOOL_CONTACT = "dpo@example.org"  # tests.signin.make_organisation
CODE = re.compile(r"Your confirmation code is: (\d{6})")
LINK = re.compile(r"(http://localhost/request/confirm/[A-Za-z0-9_-]+)\s")
REFERENCE = re.compile(r"SAR-\d{4}-\d{6}")
# What the requester typed beyond their own name and address: never in any email.
SUBJECT_DETAILS = (
    "Alex",
    "Brown",
    "27 March 2014",
    "2014-03-27",
    "27/03/2014",
    "attendance and behaviour",
    "07700 900 982",
)


@pytest.fixture
def mail_app(app):
    app.config["MAIL_SENDER"] = SENDER
    return app


@pytest.fixture
def smtp(mail_app, smtp):  # the conftest server, after this module's sender is set
    return smtp


def request_form(school, **changes) -> dict[str, str]:  # noqa: F811 (fixture name)
    typed = {
        "subject_last_name": "Brown",
        "requester_name": "Sam Green",
        "requester_email": REQUESTER,
        "requester_phone": "07700 900 982",
    }
    return good_form(school, **{**typed, **changes})


def the_case() -> Case:
    db.session.expire_all()
    [case] = db.session.scalars(select(Case)).all()
    return case


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)))


def to(collector: Collector, address: str) -> list[Received]:
    return [received for received in collector.messages if address in received.rcpt_tos]


def subject_of(email: EmailMessage) -> str:
    # A subject too long for one line is folded straight after "Subject:";
    # Python keeps the fold's space when unfolding, mail clients drop it.
    return str(email["Subject"]).strip()


def text_of(email: EmailMessage) -> str:
    return email.get_body(("plain",)).get_content().replace("\r\n", "\n")  # CRLF on the wire


def html_of(email: EmailMessage) -> str:
    return email.get_body(("html",)).get_content()


def check_envelope(received: Received, address: str) -> EmailMessage:
    """The one recipient, the From/To/Subject headers, and a text and an HTML part."""
    assert received.mail_from == "rights@desk.example"
    assert received.rcpt_tos == [address]
    email = received.message
    assert email["From"] == SENDER and email["To"] == address
    assert email["Auto-Submitted"] == "auto-generated"
    assert email["Message-ID"].endswith("@desk.example>")
    assert email.get_content_type() == "multipart/alternative"
    return email


def assert_leaves_out(email: EmailMessage, *details: str) -> None:
    for part in (subject_of(email), text_of(email), html_of(email)):
        for detail in details:
            assert detail not in part, f"{detail!r} in a message to {email['To']}"


def type_code(client, page: str, code: str):
    return client.post(page, data={"code": code, "csrf_token": csrf_token(client, "/")})


def submit(client, smtp: Collector, school) -> tuple[str, EmailMessage]:  # noqa: F811 (fixture name)
    """Submit the form; returns the code page and the confirmation email as received."""
    response = post(client, request_form(school))
    assert response.status_code == 302
    [received] = to(smtp, REQUESTER)
    return response.headers["Location"], received.message


def test_intake_delivers_code_then_acknowledgement_and_school_notice_when_smtp_is_up(
    client,
    smtp,
    school,  # noqa: F811 (fixture)
):
    page, _ = submit(client, smtp, school)

    [received] = smtp.messages
    email = check_envelope(received, REQUESTER)
    text = text_of(email)
    code = CODE.search(text).group(1)
    assert subject_of(email) == f"Your confirmation code is {code}"
    assert text.startswith("Dear Sam Green,\n")
    [link] = LINK.findall(text)
    assert f'href="{link}"' in html_of(email) and code in html_of(email)
    assert_leaves_out(email, *SUBJECT_DETAILS, school.name, "SAR-")

    confirmed = type_code(client, page, code)

    case = the_case()
    assert confirmed.status_code == 200 and case.status is CaseStatus.AWAITING_IDENTITY
    assert REFERENCE.fullmatch(case.reference) and case.reference in confirmed.text
    assert len(smtp.messages) == 3
    [_, acknowledgement] = to(smtp, REQUESTER)
    email = check_envelope(acknowledgement, REQUESTER)
    assert subject_of(email) == f"Your request {case.reference}: we have received it"
    assert text_of(email).startswith("Dear Sam Green,\n")
    for part in (text_of(email), html_of(email)):
        assert case.reference in part and school.name in part
    assert_leaves_out(email, *SUBJECT_DETAILS, code)

    [notice] = to(smtp, SCHOOL_CONTACT)
    email = check_envelope(notice, SCHOOL_CONTACT)
    assert subject_of(email) == f"New data protection request {case.reference} for {school.name}"
    assert f"http://localhost/console/cases/{case.id}" in text_of(email)
    assert_leaves_out(email, *SUBJECT_DETAILS, "Sam", "Green", REQUESTER, code)

    assert {message.status for message in outbox()} == {OutboxStatus.SENT}
    # Each is linked to the case, so its page can list them (the code's too).
    assert [message.case_id for message in outbox()] == [case.id] * 3


def test_code_for_an_accented_domain_is_delivered_to_its_ascii_form(client, smtp, school):  # noqa: F811
    response = post(client, request_form(school, requester_email="zoe@exämple.org"))
    assert response.status_code == 302
    [received] = smtp.messages
    assert received.rcpt_tos == ["zoe@xn--exmple-cua.org"]
    assert received.message["To"] == "zoe@xn--exmple-cua.org"
    assert CODE.search(text_of(received.message))
    assert {message.status for message in outbox()} == {OutboxStatus.SENT}


def test_intake_link_in_the_delivered_email_confirms_the_request(client, smtp, school):  # noqa: F811
    _, email = submit(client, smtp, school)
    [link] = LINK.findall(text_of(email))

    response = client.get(urlsplit(link).path)

    case = the_case()
    assert response.status_code == 200 and case.status is CaseStatus.AWAITING_IDENTITY
    assert case.reference in response.text
    [_, acknowledgement] = to(smtp, REQUESTER)
    assert case.reference in subject_of(acknowledgement.message)
    assert len(to(smtp, SCHOOL_CONTACT)) == 1

    again = client.get(urlsplit(link).path)
    assert "already confirmed" in again.text
    assert len(smtp.messages) == 3  # opening the link again sends nothing


def test_intake_with_form_errors_rerenders_and_sends_nothing(client, smtp, school):  # noqa: F811
    response = post(client, request_form(school, requester_email="sam.example.com", request_type=""))

    assert response.status_code == 200
    assert "There is a problem" in response.text and 'href="#requester_email"' in response.text
    assert smtp.messages == []
    assert outbox() == []
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_intake_keeps_request_and_retry_delivers_code_once_when_smtp_was_down(
    mail_app,
    client,
    school,  # noqa: F811 (fixture)
):
    port = free_port()  # nothing listens here yet: the server is down
    mail_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    mail_app.config["REDIS_URL"] = None

    response = post(client, request_form(school))

    assert response.status_code == 302
    case = the_case()
    assert case.status is CaseStatus.SUBMITTED and response.headers["Location"].endswith(f"{case.id}/confirm")
    [message] = outbox()
    assert message.category == CATEGORY and message.sent_at is None
    assert message.status is OutboxStatus.FAILED and message.attempts == 1
    assert message.last_error.startswith("ConnectionRefusedError")
    [job] = db.session.scalars(select(Job)).all()
    assert job.name == "mail.deliver" and job.status is JobStatus.FAILED
    assert message.attempts < DEFAULT_MAX_ATTEMPTS  # the periodic mail.retry will pick it up
    assert PERIODIC["mail.retry"].every_seconds == 300

    with smtp_server(port) as (collector, _port):
        assert PERIODIC["mail.retry"].run() == "1 message(s) queued again"
        db.session.commit()  # delivery runs after the commit
        assert PERIODIC["mail.retry"].run() == "0 message(s) queued again"
        db.session.commit()
        result = mail_app.test_cli_runner().invoke(args=["mail", "retry"])
        assert result.exit_code == 0 and "0 message(s)" in result.output

    [received] = collector.messages
    email = received.message
    assert received.rcpt_tos == [REQUESTER] and email["Message-ID"] == message.message_id
    code = CODE.search(text_of(email)).group(1)
    [message] = outbox()
    assert message.status is OutboxStatus.SENT and message.attempts == 2 and message.last_error is None

    with smtp_server(port) as (collector, _port):
        confirmed = type_code(client, response.headers["Location"], code)
        assert the_case().reference in confirmed.text
        assert sorted(address for m in collector.messages for address in m.rcpt_tos) == [
            SCHOOL_CONTACT,
            REQUESTER,
        ]


def test_unconfirmed_request_withdrawn_after_7_days_delivers_one_closing_email(
    client,
    smtp,
    school,  # noqa: F811 (fixture)
):
    page, confirmation = submit(client, smtp, school)
    code = CODE.search(text_of(confirmation)).group(1)
    case = the_case()
    case.received_on -= timedelta(days=8)
    db.session.commit()
    withdraw = PERIODIC["cases.withdraw_unconfirmed"]

    assert withdraw.run() == "1 unconfirmed request(s) withdrawn"
    db.session.commit()
    assert withdraw.run() == "0 unconfirmed request(s) withdrawn"
    db.session.commit()

    [_, closing] = to(smtp, REQUESTER)
    assert len(smtp.messages) == 2
    email = check_envelope(closing, REQUESTER)
    assert subject_of(email) == "Your data protection request has been closed"
    text = text_of(email)
    assert text.startswith("Dear Sam Green,\n")
    assert "within 7 days" in text and "Nothing more will happen" in text
    assert "\nhttp://localhost/\n" in text and 'href="http://localhost/"' in html_of(email)
    assert_leaves_out(email, *SUBJECT_DETAILS, school.name, "SAR-", code, "/request/confirm/")
    assert the_case().status is CaseStatus.WITHDRAWN and the_case().reference is None

    assert client.get("/").status_code == 200  # the link leads to a new form
    assert "This request has been closed" in type_code(client, page, code).text
    assert len(smtp.messages) == 2
