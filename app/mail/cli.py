"""``flask mail outbox|send-test|retry|purge``."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.mail.models import OutboxStatus
from app.mail.retention import purge_old_mail
from app.mail.services import DEFAULT_MAX_ATTEMPTS, get_message, list_outbox, retry_failed, send_mail

mail_cli = AppGroup("mail", help="Outgoing mail.")


@mail_cli.command("outbox")
@click.option("--limit", type=int, default=10, show_default=True)
@click.option("--status", type=click.Choice([status.value for status in OutboxStatus]))
@click.option(
    "--body/--no-body",
    default=None,
    help="Print the text bodies (default: yes, except in production).",
)
def outbox_command(limit: int, status: str | None, body: bool | None) -> None:
    """Print recent messages, newest first."""
    if body is None:
        # Bodies are personal data: in production, only on request.
        body = current_app.config["RIGHTSDESK_ENV"] != "production"
    messages = list_outbox(status=OutboxStatus(status) if status else None, limit=limit)
    if not messages:
        click.echo("The outbox is empty.")
    for message in messages:
        click.echo(f"--- {message.id} [{message.status.value}] {message.category}")
        click.echo(f"Date: {message.created_at:%Y-%m-%d %H:%M:%S} UTC   attempts: {message.attempts}")
        click.echo(f"From: {message.sender}")
        click.echo(f"To: {message.recipients}")
        if message.delivered_to and message.waiting_recipients:
            click.echo(f"Still waiting: {', '.join(message.waiting_recipients)}")
        click.echo(f"Subject: {message.subject}")
        if message.last_error:
            click.echo(f"Last error: {message.last_error}")
        if body:
            click.echo("")
            click.echo(message.text_body)
        click.echo("")


@mail_cli.command("send-test")
@click.argument("address")
def send_test_command(address: str) -> None:
    """Send a test message to ADDRESS (through SMTP if configured)."""
    try:
        message = send_mail(
            address,
            "Rights Desk test message",
            "This is a test message from Rights Desk. If you can read it, outgoing mail works.\n",
            category="test",
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    message_id = message.id
    # Delivery starts on commit: inline right here, or on a worker with REDIS_URL.
    db.session.commit()
    db.session.expire_all()
    sent = get_message(message_id)
    status = sent.status if sent else None
    if status == OutboxStatus.OUTBOX:
        click.echo(f"SMTP_URL is not set: message {message_id} is in the outbox (flask mail outbox).")
    elif status == OutboxStatus.SENT:
        click.echo(f"Message {message_id} sent.")
    elif status == OutboxStatus.FAILED:
        raise click.ClickException(f"message {message_id} was not delivered: {sent.last_error}")
    else:
        click.echo(f"Message {message_id} queued for delivery by a worker.")


@mail_cli.command("retry")
@click.option("--max-attempts", type=int, default=DEFAULT_MAX_ATTEMPTS, show_default=True)
def retry_command(max_attempts: int) -> None:
    """Queue failed (and stuck pending) messages for delivery again."""
    if not current_app.config.get("SMTP_URL"):
        raise click.ClickException("SMTP_URL is not set; nothing can be delivered")
    messages = retry_failed(max_attempts=max_attempts)
    db.session.commit()
    click.echo(f"{len(messages)} message(s) queued for delivery again.")


@mail_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; change nothing.")
@click.option(
    "--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="Run as if it were noon (UTC) on this date.",
)  # fmt: skip
def purge_command(dry_run: bool, as_of: datetime | None) -> None:
    """Delete messages delivered (or kept in the outbox unsent), and failed
    ones about no case last tried, longer ago than the sent-mail retention
    period."""
    now = as_of.replace(hour=12, tzinfo=UTC) if as_of else None
    report = purge_old_mail(now, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    click.echo(str(report))
