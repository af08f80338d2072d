"""Outgoing mail: an outbox row per message, delivered by SMTP after commit.

``send_mail(to, subject, text_body, html_body=None, *, category=...)`` in the
transaction that decides to send; commit; the ``mail.deliver`` job does the
rest. Without ``SMTP_URL`` messages stay in the outbox (``flask mail outbox``).
"""

from __future__ import annotations

from flask import Flask

from app.mail.models import OutboxMessage, OutboxStatus
from app.mail.services import (
    MailDeliveryError,
    deliver,
    get_message,
    list_outbox,
    retry_failed,
    send_mail,
)
from app.mail.smtp import SmtpSettings, parse_smtp_url

__all__ = [
    "MailDeliveryError",
    "OutboxMessage",
    "OutboxStatus",
    "SmtpSettings",
    "deliver",
    "get_message",
    "init_app",
    "list_outbox",
    "parse_smtp_url",
    "retry_failed",
    "send_mail",
]


def init_app(app: Flask) -> None:
    smtp_url = app.config.get("SMTP_URL")
    if smtp_url:
        # A malformed SMTP_URL stops start-up rather than failing every send.
        parse_smtp_url(smtp_url)
