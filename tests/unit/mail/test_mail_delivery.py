"""Delivery through a real SMTP server (aiosmtpd), inline and by an RQ worker."""

from __future__ import annotations

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from app.jobs import Job, JobStatus
from app.mail import OutboxMessage, OutboxStatus, retry_failed, send_mail
from tests.unit.mail.smtpd import free_port, smtp_server


@pytest.fixture
def mail_app(app):
    app.config["REDIS_URL"] = None
    app.config["MAIL_SENDER"] = "Rights Desk <rights@desk.example>"
    return app


@pytest.fixture
def smtp(mail_app, smtp):
    """The shared SMTP server (tests/conftest.py), with this module's sender."""
    return smtp


def _send(**overrides) -> OutboxMessage:
    values = {
        "to": "Jane Smith <jane.smith@example.org>",
        "subject": "Your request SAR-2026-000123",
        "text_body": "Dear Jane,\n\nWe have received your request.\n",
        "html_body": "<p>Dear Jane,</p><p>We have received your request.</p>",
        "category": "case.acknowledgement",
    }
    values.update(overrides)
    to = values.pop("to")
    return send_mail(to, **values)


def test_send_mail_delivers_with_headers_and_body_after_commit(smtp, db_session):
    message = _send()
    assert smtp.messages == []  # nothing leaves before the commit

    db_session.commit()

    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received.mail_from == "rights@desk.example"
    assert received.rcpt_tos == ["jane.smith@example.org"]
    email = received.message
    assert email["From"] == "Rights Desk <rights@desk.example>"
    assert email["To"] == "Jane Smith <jane.smith@example.org>"
    assert email["Subject"] == "Your request SAR-2026-000123"
    assert email["Message-ID"] == f"<{message.id}@desk.example>"
    assert email["Auto-Submitted"] == "auto-generated"
    plain = email.get_body(("plain",)).get_content().replace("\r\n", "\n")  # CRLF on the wire
    assert plain == "Dear Jane,\n\nWe have received your request.\n"
    assert "<p>Dear Jane,</p>" in email.get_body(("html",)).get_content()

    db_session.refresh(message)
    assert message.status == OutboxStatus.SENT and message.attempts == 1
    assert message.sent_at is not None and message.last_error is None
    job = db_session.scalars(select(Job)).one()
    assert (job.name, job.args, job.status) == ("mail.deliver", [str(message.id)], JobStatus.SUCCEEDED)


def test_send_mail_sends_nothing_when_transaction_rolls_back(smtp, db_session):
    _send()
    db_session.rollback()
    db_session.commit()

    assert smtp.messages == []
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db_session.scalar(select(func.count()).select_from(Job)) == 0


def test_send_mail_marks_failed_then_retry_delivers_when_smtp_was_down(mail_app, db_session):
    port = free_port()  # nothing listens here yet
    mail_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    message = _send()
    db_session.commit()

    db_session.refresh(message)
    assert message.status == OutboxStatus.FAILED and message.attempts == 1
    assert message.last_error.startswith("ConnectionRefusedError")
    job = db_session.scalars(select(Job)).one()
    assert job.status == JobStatus.FAILED and job.error.startswith("MailDeliveryError")

    with smtp_server(port) as (collector, _port):
        assert [m.id for m in retry_failed()] == [message.id]
        db_session.commit()
        assert len(collector.messages) == 1

    db_session.refresh(message)
    assert message.status == OutboxStatus.SENT and message.attempts == 2 and message.last_error is None


def test_retry_failed_skips_message_when_out_of_attempts(mail_app, db_session):
    mail_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    message = _send()
    db_session.commit()
    assert retry_failed(max_attempts=1) == []
    db_session.refresh(message)
    assert message.status == OutboxStatus.FAILED


def test_refused_recipient_recorded_without_address(mail_app, db_session):
    with smtp_server(refuse={"jane.smith@example.org"}) as (collector, port):
        mail_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
        message = _send()
        db_session.commit()

    db_session.refresh(message)
    assert message.status == OutboxStatus.FAILED
    assert message.last_error == "SMTPRecipientsRefused: 1 recipient(s) refused, code(s) 550"
    job = db_session.scalars(select(Job)).one()
    assert "jane" not in job.error and "jane" not in message.last_error
    assert collector.messages == []


def test_send_mail_logs_in_with_credentials_from_url(mail_app, db_session):
    with smtp_server(auth=True) as (collector, port):
        mail_app.config["SMTP_URL"] = f"smtp://relay%40desk.example:p%40ss%3Aword@127.0.0.1:{port}"
        message = _send()
        db_session.commit()
        assert collector.logins == [("relay@desk.example", "p@ss:word")]
        assert len(collector.messages) == 1
    db_session.refresh(message)
    assert message.status == OutboxStatus.SENT


def test_delivery_job_is_idempotent_when_message_already_sent(smtp, db_session):
    from app.jobs.runner import execute
    from app.jobs.services import enqueue

    message = _send()
    db_session.commit()
    # A second delivery job for the same message (e.g. an operator's retry).
    second = enqueue("mail.deliver", message.id)
    db_session.commit()

    assert len(smtp.messages) == 1
    db_session.refresh(second)
    assert second.status == JobStatus.SUCCEEDED
    assert execute(second.id).status == JobStatus.SUCCEEDED


def test_send_mail_delivered_by_rq_worker_when_redis_configured(smtp, mail_app, db_session, redis_url):
    mail_app.config["REDIS_URL"] = redis_url
    message = _send()
    db_session.commit()
    assert smtp.messages == []  # queued, not sent by the web process

    redis = Redis.from_url(redis_url)
    SimpleWorker([Queue("default", connection=redis)], connection=redis).work(burst=True)
    redis.close()

    assert len(smtp.messages) == 1
    db_session.refresh(message)
    assert message.status == OutboxStatus.SENT


def test_send_test_command_reports_sent_when_smtp_configured(smtp, mail_app):
    result = mail_app.test_cli_runner().invoke(args=["mail", "send-test", "ops@desk.example"])
    assert result.exit_code == 0, result.output
    assert "sent" in result.output
    assert smtp.messages[0].rcpt_tos == ["ops@desk.example"]
    assert smtp.messages[0].message["Subject"] == "Rights Desk test message"


def test_retry_command_requeues_failed_messages(mail_app, db_session):
    port = free_port()
    mail_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    _send()
    db_session.commit()
    with smtp_server(port) as (collector, _port):
        result = mail_app.test_cli_runner().invoke(args=["mail", "retry"])
        assert result.exit_code == 0, result.output
        assert "1 message(s)" in result.output
        assert len(collector.messages) == 1
