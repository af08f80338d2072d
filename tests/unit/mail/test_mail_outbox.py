"""Without SMTP: messages stay in the outbox; inputs and SMTP_URL are checked."""

from __future__ import annotations

import smtplib

import pytest
from sqlalchemy import func, select, text

from app.config import ConfigError
from app.jobs import Job
from app.mail import OutboxMessage, OutboxStatus, list_outbox, parse_smtp_url, retry_failed, send_mail
from app.mail.smtp import describe_smtp_error


def test_send_mail_stays_in_outbox_when_no_smtp_url(outbox_app, db_session):
    message = send_mail(
        ["jane.smith@example.org", "Carer <carer@example.org>"],
        "Confirm your request",
        "Follow this link to confirm: https://desk.example/confirm/abc\n",
        category="intake.confirmation",
    )
    db_session.commit()

    db_session.refresh(message)
    assert message.status == OutboxStatus.OUTBOX and message.attempts == 0
    assert message.recipient_list == ["jane.smith@example.org", "Carer <carer@example.org>"]
    assert db_session.scalar(select(func.count()).select_from(Job)) == 0  # nothing to deliver
    assert [m.id for m in list_outbox()] == [message.id]
    assert retry_failed() == []


def test_list_outbox_returns_newest_first_and_filters_by_status(outbox_app, db_session):
    first = send_mail("a@example.org", "First", "1", category="test")
    second = send_mail("b@example.org", "Second", "2", category="test")
    db_session.commit()
    assert [m.id for m in list_outbox()] == [second.id, first.id]
    assert [m.id for m in list_outbox(limit=1)] == [second.id]
    assert list_outbox(status=OutboxStatus.SENT) == []


def test_message_contents_encrypted_at_rest(outbox_app, db_session):
    message = send_mail(
        "jane.smith@example.org", "About Jane", "Jane's attendance record", "<b>Jane</b>", category="test"
    )
    db_session.commit()
    row = db_session.execute(
        text("SELECT recipients, subject, text_body, html_body FROM outbox_messages WHERE category = 'test'")
    ).one()
    for stored in row:
        assert b"Jane" not in bytes(stored) and b"jane" not in bytes(stored)
    db_session.refresh(message)
    assert message.text_body == "Jane's attendance record" and message.html_body == "<b>Jane</b>"


@pytest.mark.parametrize(
    "to", ["not-an-address", "", [], "jane@example.org\r\nBcc: all@example.org", ["ok@example.org", "bad"]]
)
def test_send_mail_refuses_recipient_when_invalid(outbox_app, to):
    with pytest.raises(ValueError, match="recipient"):
        send_mail(to, "Subject", "Body", category="test")


def test_send_mail_refuses_subject_when_multiline(outbox_app):
    with pytest.raises(ValueError, match="single line"):
        send_mail("jane@example.org", "Hello\r\nBcc: all@example.org", "Body", category="test")


def test_send_mail_refuses_category_when_not_a_code(outbox_app):
    with pytest.raises(ValueError, match="category"):
        send_mail("jane@example.org", "Subject", "Body", category="Letter to Jane")


def test_outbox_command_prints_recent_messages_with_body(outbox_app, db_session):
    send_mail(
        "jane@example.org", "Confirm your request", "Your code is 123456\n", category="intake.confirmation"
    )
    db_session.commit()
    result = outbox_app.test_cli_runner().invoke(args=["mail", "outbox"])
    assert result.exit_code == 0, result.output
    assert "[outbox] intake.confirmation" in result.output
    assert "To: jane@example.org" in result.output
    assert "Subject: Confirm your request" in result.output
    assert "Your code is 123456" in result.output

    headers_only = outbox_app.test_cli_runner().invoke(args=["mail", "outbox", "--no-body"])
    assert "Your code is 123456" not in headers_only.output


def test_send_test_command_reports_outbox_when_no_smtp_url(outbox_app, db_session):
    result = outbox_app.test_cli_runner().invoke(args=["mail", "send-test", "ops@example.org"])
    assert result.exit_code == 0, result.output
    assert "in the outbox" in result.output
    assert db_session.scalars(select(OutboxMessage)).one().category == "test"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example:2525", ("mail.example", 2525, False, False, None, None)),
        ("smtp://relay.example", ("relay.example", 25, False, False, None, None)),
        ("smtp://u%40x:p%3Aw@relay.example?starttls=1", ("relay.example", 587, False, True, "u@x", "p:w")),
        ("smtps://user:secret@relay.example", ("relay.example", 465, True, False, "user", "secret")),
    ],
)
def test_parse_smtp_url_reads_host_port_tls_and_credentials(url, expected):
    settings = parse_smtp_url(url)
    got = (
        settings.host,
        settings.port,
        settings.use_ssl,
        settings.starttls,
        settings.username,
        settings.password,
    )
    assert got == expected
    assert "secret" not in repr(settings)


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example",
        "smtp://",
        "smtp://mail.example:notaport",
        "smtps://h?starttls=1",
        "smtp://h?tls=1",
    ],
)
def test_parse_smtp_url_refuses_when_malformed(url):
    with pytest.raises(ConfigError, match="SMTP_URL"):
        parse_smtp_url(url)


def test_create_app_refuses_to_start_when_smtp_url_malformed(tmp_path):
    from app import create_app
    from tests.conftest import environ_for_tests

    with pytest.raises(ConfigError, match="SMTP_URL"):
        create_app(environ_for_tests(f"sqlite:///{tmp_path / 'x.sqlite'}", tmp_path, SMTP_URL="smtp//oops"))


def test_describe_smtp_error_masks_addresses_in_server_reply():
    error = smtplib.SMTPDataError(554, b"5.7.1 <jane.smith@example.org>: message refused")
    assert describe_smtp_error(error) == "SMTPDataError: 554 5.7.1 <<address>>: message refused"
