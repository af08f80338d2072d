"""A server that accepts an email for some recipients and refuses others:
those it accepted are recorded as delivered and never sent it again; the
next attempt goes only to the refused. A real SMTP server (aiosmtpd, in
process) answers 550 to the addresses the test tells it to refuse; jobs run
inline, so each delivery happens when its transaction commits."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app.db import utcnow
from app.extensions import db
from app.mail import OutboxMessage, OutboxStatus, retry_failed, send_mail
from app.mail.delivery import claim_delivery

ANN = "Ann Adams <ann@example.org>"
BEN = "ben@example.org"
CAL = "Cal Cole <cal@example.org>"


def _send(to: list[str]) -> OutboxMessage:
    message = send_mail(to, "Your request", "We have received your request.\n", category="test")
    db.session.commit()
    db.session.expire_all()
    return message


def _retry_now() -> list[OutboxMessage]:
    queued = retry_failed()
    db.session.commit()
    db.session.expire_all()
    return queued


def test_delivery_records_accepted_recipients_when_server_refuses_one(smtp, db_session):
    smtp.refuse.add(BEN)
    message = _send([ANN, BEN])

    assert [m.rcpt_tos for m in smtp.messages] == [["ann@example.org"]]
    assert message.status is OutboxStatus.FAILED and message.attempts == 1
    assert message.delivered_to == ANN
    assert message.waiting_recipients == [BEN]
    assert message.recipient_list == [ANN, BEN]  # who it is addressed to does not change
    assert "1 recipient(s) refused, code(s) 550" in message.last_error
    assert "@" not in message.last_error


def test_retry_goes_only_to_refused_recipient_when_others_accepted(smtp, db_session):
    smtp.refuse.add(BEN)
    message = _send([ANN, BEN])
    smtp.refuse.clear()

    assert [m.id for m in _retry_now()] == [message.id]

    first, again = smtp.messages
    assert again.rcpt_tos == ["ben@example.org"]
    # The same email: addressed to both, with the same Message-ID.
    assert again.message["To"] == first.message["To"] == f"{ANN}, {BEN}"
    assert again.message["Message-ID"] == first.message["Message-ID"] == message.message_id
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.SENT, 2, None)
    assert message.waiting_recipients == []


def test_retry_keeps_adding_accepted_recipients_until_all_have_it(smtp, db_session):
    smtp.refuse.update({BEN, "cal@example.org"})
    message = _send([ANN, BEN, CAL])
    smtp.refuse.discard("cal@example.org")

    _retry_now()  # Cal now accepted, Ben still refused
    assert message.status is OutboxStatus.FAILED
    assert message.delivered_to == f"{ANN}, {CAL}"
    assert message.waiting_recipients == [BEN]

    smtp.refuse.clear()
    _retry_now()
    assert [m.rcpt_tos for m in smtp.messages] == [
        ["ann@example.org"],
        ["cal@example.org"],
        ["ben@example.org"],
    ]
    assert (message.status, message.attempts, message.waiting_recipients) == (OutboxStatus.SENT, 3, [])


def test_delivery_records_nobody_delivered_when_server_refuses_all(smtp, db_session):
    smtp.refuse.update({"ann@example.org", BEN})
    message = _send([ANN, BEN])

    assert smtp.messages == []
    assert message.status is OutboxStatus.FAILED and message.delivered_to is None
    assert message.waiting_recipients == [ANN, BEN]
    assert "2 recipient(s) refused" in message.last_error


def test_stale_retry_goes_only_to_refused_recipient_when_worker_stopped(smtp, db_session):
    """A partly delivered message whose next attempt was claimed by a worker
    that then stopped: the periodic retry's new attempt still goes only to
    the recipient the server refused."""
    smtp.refuse.add(BEN)
    message = _send([ANN, BEN])
    smtp.refuse.clear()
    assert claim_delivery(message.id, 2) == 2  # the worker's claim, committed; then it died
    an_hour_ago = utcnow() - timedelta(hours=1)
    db.session.execute(update(OutboxMessage).values(last_attempt_at=an_hour_ago))
    db.session.commit()

    assert [m.id for m in _retry_now()] == [message.id]

    assert [m.rcpt_tos for m in smtp.messages] == [["ann@example.org"], ["ben@example.org"]]
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 3)
