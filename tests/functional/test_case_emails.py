"""The emails about a case, delivered by a real SMTP server in-process: a
refused one shows on the case (console and API) and on the dashboard, and
is sent again once the cause is fixed; only a failed one can be; each time
is audited; another school's user cannot see or resend them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.mail import send_mail
from app.mail.models import OutboxMessage, OutboxStatus
from tests.signin import csrf_token, make_user, sign_in
from tests.unit.api.estate import build_estate
from tests.unit.cases.factory import new_case
from tests.unit.mail.pages import email_row

REQUESTER = "jo.parent@example.net"


@pytest.fixture
def refused(app, smtp, db_session):
    """A confirmed case of Birch Primary whose acknowledgement the mail
    server refused (550) and whose notice to the school it took."""
    estate = build_estate()
    smtp.refuse.add(REQUESTER)
    case = new_case(estate.birch_primary)
    db.session.expire_all()
    return estate, case


def _messages(case) -> dict[str, OutboxMessage]:
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id)).all()
    return {row.category: row for row in rows}


def _sent_again() -> int:
    return db.session.scalar(select(func.count()).where(AuditEvent.action == "mail.sent_again"))


def test_every_email_about_a_case_is_linked_to_it(refused, smtp):
    _estate, case = refused
    messages = _messages(case)
    assert set(messages) == {"case.acknowledgement", "case.school_notice"}
    assert messages["case.acknowledgement"].status is OutboxStatus.FAILED
    assert "550" in messages["case.acknowledgement"].last_error
    assert messages["case.school_notice"].status is OutboxStatus.SENT


def test_console_shows_the_failure_and_sends_it_again_once_fixed(app, refused, smtp):
    _estate, case = refused
    user, secret = make_user("cw.emails@example.org", Role.CASEWORKER)
    client = app.test_client()
    sign_in(client, user, secret)
    page = f"/console/cases/{case.id}"

    home = client.get("/console/")
    assert 'id="undelivered-mail"' in home.text and f"{case.reference}</a>: 1 email" in home.text
    shown = client.get(page).text
    emails = shown.split('id="emails-heading"', 1)[1].split("</section>", 1)[0]
    assert "Acknowledgement" in emails and "Not delivered" in emails and "550" in emails
    assert "Notice to the school" in emails and "Delivered " in emails and REQUESTER in emails
    assert emails.count("Send again<span") == 1  # only the failed one offers it
    assert "deleted 90 days after delivery" in emails

    failed = _messages(case)["case.acknowledgement"]
    url = f"{page}/emails/{failed.id}/send-again"
    token = csrf_token(client, page)
    still = client.post(url, data={"send-again-csrf_token": token})
    assert still.status_code == 303  # queued; the server refuses it again
    db.session.expire_all()
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 2)

    smtp.refuse.clear()
    done = client.post(url, data={"send-again-csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith("#emails-heading")
    db.session.expire_all()
    assert (failed.status, failed.attempts) == (OutboxStatus.SENT, 3)
    assert [m.message["Subject"] for m in smtp.messages if REQUESTER in m.rcpt_tos] != []
    assert 'id="undelivered-mail"' not in client.get("/console/").text
    assert _sent_again() == 2

    again = client.post(url, data={"send-again-csrf_token": token})
    assert again.status_code == 409
    assert "only an email that failed can be sent again; this one is sent" in again.text.lower()
    forged = client.post(url, data={})
    assert forged.status_code == 400 and "The form could not be sent" in forged.text
    assert _sent_again() == 2


def test_api_lists_the_emails_and_sends_a_failed_one_again(client, refused, smtp):
    estate, case = refused
    base = f"/api/v1/cases/{case.reference}/emails"
    listed = client.get(base, headers=estate.auth("trust"))
    assert listed.status_code == 200, listed.text
    items = {item["category"]: item for item in listed.get_json()["items"]}
    failed = items["case.acknowledgement"]
    assert (failed["status"], failed["attempts"], failed["label"]) == ("failed", 1, "Acknowledgement")
    assert failed["recipients"] == [REQUESTER] and "550" in failed["last_error"]
    assert items["case.school_notice"]["status"] == "sent"

    smtp.refuse.clear()
    resent = client.post(f"{base}/{failed['id']}/send-again", headers=estate.auth("trust"))
    assert resent.status_code == 202, resent.text
    assert resent.get_json()["status"] == "pending"  # delivered after the commit
    db.session.expire_all()
    assert _messages(case)["case.acknowledgement"].status is OutboxStatus.SENT

    delivered = client.post(f"{base}/{failed['id']}/send-again", headers=estate.auth("trust"))
    assert delivered.status_code == 409 and delivered.get_json()["error"]["code"] == "not_sendable"
    other = new_case(estate.alder, requester_email="someone@example.net")
    foreign = next(iter(_messages(other).values()))
    wrong_case = client.post(f"{base}/{foreign.id}/send-again", headers=estate.auth("trust"))
    assert wrong_case.status_code == 404
    outsider = client.get(base, headers=estate.auth("alder"))
    assert outsider.status_code == 404
    assert _sent_again() == 1


def test_without_a_mail_server_nothing_can_be_sent_again(app, refused, client):
    estate, case = refused
    failed = _messages(case)["case.acknowledgement"]
    app.config["SMTP_URL"] = None
    answer = client.post(
        f"/api/v1/cases/{case.reference}/emails/{failed.id}/send-again", headers=estate.auth("trust")
    )
    assert answer.status_code == 409
    assert "no mail server is configured" in answer.get_json()["error"]["message"]
    db.session.expire_all()
    assert failed.status is OutboxStatus.FAILED and _sent_again() == 0


def test_api_and_console_say_who_is_still_waiting_when_server_refused_one(app, client, smtp, db_session):
    estate = build_estate()
    case = new_case(estate.birch_primary)
    smtp.refuse.add("ben@example.org")
    message = send_mail(
        ["Ann Adams <ann@example.org>", "ben@example.org"],
        "Your request",
        "A letter about the request.\n",
        category="case.recipient_notice",
        case_id=case.id,
    )
    db.session.commit()
    base = f"/api/v1/cases/{case.reference}/emails"

    items = {item["id"]: item for item in client.get(base, headers=estate.auth("trust")).get_json()["items"]}
    partly = items[str(message.id)]
    assert partly["status"] == "failed"
    assert partly["recipients"] == ["Ann Adams <ann@example.org>", "ben@example.org"]
    assert partly["waiting_recipients"] == ["ben@example.org"]
    assert all(item["waiting_recipients"] == [] for key, item in items.items() if key != str(message.id))

    row = email_row(app, case.id, message.id, login="cw.partly@example.org")
    assert "Delivered to Ann Adams &lt;ann@example.org&gt;; still waiting: ben@example.org" in row
    assert "sending it again goes only to this address" in row

    smtp.refuse.clear()
    already = len(smtp.messages)
    resent = client.post(f"{base}/{message.id}/send-again", headers=estate.auth("trust"))
    assert resent.status_code == 202, resent.text
    assert [m.rcpt_tos for m in smtp.messages[already:]] == [["ben@example.org"]]
    items = {item["id"]: item for item in client.get(base, headers=estate.auth("trust")).get_json()["items"]}
    assert (items[str(message.id)]["status"], items[str(message.id)]["waiting_recipients"]) == ("sent", [])
