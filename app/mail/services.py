"""Sending mail without ever losing it.

``send_mail`` writes an ``OutboxMessage`` in the caller's transaction and,
when ``SMTP_URL`` is set, enqueues the ``mail.deliver`` job, which the jobs
system dispatches only after that transaction commits. A rolled-back request
therefore sends nothing, and a committed one always leaves a row that is
either sent, or failed with its error and retried by ``retry_failed``.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from email.utils import formataddr, getaddresses, parseaddr
from functools import lru_cache

from flask import current_app
from sqlalchemy import func, or_, select

from app.audit.services import record
from app.db import new_uuid, utcnow
from app.extensions import db
from app.jobs import JobError, enqueue, task
from app.mail import smtp
from app.mail.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

_CATEGORY = re.compile(r"^[a-z][a-z0-9_.-]{0,59}$")
DEFAULT_MAX_ATTEMPTS = 5


class MailDeliveryError(JobError):
    """A delivery attempt failed; the message names ids and SMTP codes only."""


def send_mail(
    to: str | Iterable[str],
    subject: str,
    text_body: str,
    html_body: str | None = None,
    *,
    category: str,
    case_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> OutboxMessage:
    """Write a message to the outbox and, with SMTP configured, have it
    delivered once the caller's transaction commits.

    ``to`` is one address or several ("Name <address>" is accepted);
    ``category`` is a code such as ``"case.acknowledgement"``; ``case_id``
    the case the message is about, if any (its page lists it); ``user_id``
    the staff account it goes to, if any (the Staff page shows it). The caller
    commits. Raises ValueError for an unusable address, subject or category.
    """
    if not _CATEGORY.match(category):
        raise ValueError("category must be a short lower-case code, e.g. 'case.acknowledgement'")
    recipients = _recipients(to)
    if "\r" in subject or "\n" in subject:
        raise ValueError("the subject must be a single line")
    smtp_configured = bool(current_app.config.get("SMTP_URL"))
    sender = current_app.config["MAIL_SENDER"]
    message = OutboxMessage(
        id=new_uuid(),
        category=category,
        case_id=case_id,
        user_id=user_id,
        sender=sender,
        recipients=recipients,
        subject=subject.strip(),
        text_body=text_body,
        html_body=html_body,
        status=OutboxStatus.PENDING if smtp_configured else OutboxStatus.OUTBOX,
        attempts=0,
        created_at=utcnow(),
    )
    message.message_id = f"<{message.id}@{_domain_of(sender)}>"
    # Added, not flushed: the row goes in with the caller's next flush or
    # commit, in one unit of work with everything else the request wrote.
    # (``enqueue`` flushes by itself when it records the delivery job.)
    db.session.add(message)
    if smtp_configured:
        enqueue(deliver, message.id)
    else:
        log.info("mail %s (%s) kept in the outbox: SMTP_URL is not set", message.id, category)
    return message


@task("mail.deliver", timeout=120)
def deliver(message_id: uuid.UUID) -> None:
    """Deliver one outbox message by SMTP.

    Idempotent: a message already sent is not sent again, and the row is
    locked while sending (on PostgreSQL) so two workers cannot both send it.
    Delivery is at-least-once: if the process dies after the server accepted
    the message but before the commit, a retry sends it again with the same
    Message-ID. A failure is committed on the row (status failed, attempts,
    error) before the job itself is failed, so ``retry_failed`` can pick it up.
    """
    session = db.session
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise MailDeliveryError(f"outbox message {message_id} does not exist")
    if message.status in (OutboxStatus.SENT, OutboxStatus.OUTBOX):
        log.info("mail %s is %s; nothing to deliver", message_id, message.status.value)
        return
    message.attempts += 1
    message.last_attempt_at = utcnow()
    try:
        settings = smtp.parse_smtp_url(current_app.config.get("SMTP_URL") or "")
        smtp.send(_email_for(message), settings)
    except Exception as exc:
        message.status = OutboxStatus.FAILED
        message.last_error = smtp.describe_smtp_error(exc)
        session.commit()
        log.warning(
            "mail %s not delivered (attempt %d): %s", message_id, message.attempts, message.last_error
        )
        raise MailDeliveryError(f"outbox message {message_id} not delivered: {message.last_error}") from None
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.last_error = None
    log.info("mail %s (%s) sent", message_id, message.category)


def retry_failed(
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    stale_after: timedelta = timedelta(minutes=30),
    limit: int = 200,
) -> list[OutboxMessage]:
    """Queue delivery again for failed messages with attempts left, and for
    messages left pending (their delivery job was lost) longer than
    ``stale_after``. The caller commits; run it periodically (cron or
    ``flask mail retry``)."""
    if not current_app.config.get("SMTP_URL"):
        return []
    cutoff = utcnow() - stale_after
    query = (
        select(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.status == OutboxStatus.FAILED) & (OutboxMessage.attempts < max_attempts),
                (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.created_at < cutoff),
            )
        )
        .order_by(OutboxMessage.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    messages = list(db.session.scalars(query))
    for message in messages:
        message.status = OutboxStatus.PENDING
        enqueue(deliver, message.id)
    db.session.flush()
    return messages


# What each kind of message about a case is, for the people working it.
CATEGORY_LABELS = {
    "intake.confirmation_code": "Confirmation code",
    "case.acknowledgement": "Acknowledgement",
    "case.school_notice": "Notice to the school",
    "case.status_link": "Status page link",
    "case.identity_request": "Request for proof of identity",
    "case.clarification": "Clarification question",
    "case.extension": "Extension notice",
    "case.clock_restarted": "New due date after the answer",
    "case.refusal": "Refusal",
    "case.unconfirmed_withdrawal": "Withdrawn: never confirmed",
    "case.withdrawal_confirmed": "Withdrawal confirmed",
    "case.reminder": "Due-date reminder",
    "case.recipient_notice": "Notice to a recipient (Art 19)",
    "case.recipients_to_tell": "To the school: recipients it must tell (Art 19)",
    "case.restriction_lift_notice": "Restriction to be lifted",
    "case.restriction_lift_cancelled": "Restriction stays",
    "pack.link": "Response download link",
    "pack.code": "Response download code",
    "case.erasure_done": "Erasure done: what was erased and kept",
    "case.rectification_done": "Corrections made",
    "accounts.staff_invite": "Invitation",
    "accounts.password_reset": "Password reset",
}


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category) or category.replace("_", " ").replace(".", ": ").capitalize()


class NotSendable(Exception):
    """The message cannot be sent again: already delivered, still waiting,
    or no SMTP server is configured."""


def case_messages(case_id: uuid.UUID) -> Sequence[OutboxMessage]:
    """The messages about one case, oldest first."""
    query = select(OutboxMessage).where(OutboxMessage.case_id == case_id)
    return db.session.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)).all()


def send_again(case_id: uuid.UUID, message_id: uuid.UUID, actor_id: uuid.UUID) -> OutboxMessage:
    """Queue delivery again for a failed message about ``case_id``, however
    many attempts it has had (staff decided to try once more, e.g. after
    fixing the address book or the mail server). ``LookupError`` for a
    message not about this case; ``NotSendable`` for one that is not failed.
    Audited as ``actor_id``'s decision; the caller commits."""
    message = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.case_id != case_id:
        raise LookupError("no such message on this case")
    if not current_app.config.get("SMTP_URL"):
        raise NotSendable("no mail server is configured (SMTP_URL), so nothing can be sent")
    if message.status is not OutboxStatus.FAILED:
        raise NotSendable(f"only an email that failed can be sent again; this one is {message.status.value}")
    message.status = OutboxStatus.PENDING
    enqueue(deliver, message.id)
    record(
        "mail.sent_again",
        actor_type="user",
        actor_id=actor_id,
        object_type="case",
        object_id=case_id,
        data={"message": message.id, "attempts": message.attempts},
    )
    return message


def latest_staff_mail(user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OutboxMessage]:
    """Each staff account's newest invitation or password-reset email, by
    account id: whether the last one they were sent arrived is what the
    Staff page shows (an older failure is settled by a newer message)."""
    ids = list(user_ids)
    if not ids:
        return {}
    newest = (
        select(
            OutboxMessage.id,
            func.row_number()
            .over(
                partition_by=OutboxMessage.user_id,
                order_by=(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()),
            )
            .label("position"),
        )
        .where(OutboxMessage.user_id.in_(ids))
        .subquery()
    )
    query = select(OutboxMessage).join(newest, newest.c.id == OutboxMessage.id).where(newest.c.position == 1)
    return {message.user_id: message for message in db.session.scalars(query)}  # type: ignore[misc]


def list_outbox(*, status: OutboxStatus | None = None, limit: int = 20) -> Sequence[OutboxMessage]:
    """Most recent messages first (in development: what would have been sent)."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return db.session.scalars(query).all()


def get_message(message_id: uuid.UUID) -> OutboxMessage | None:
    return db.session.get(OutboxMessage, message_id)


def _email_for(message: OutboxMessage):
    return smtp.build_message(
        sender=message.sender,
        recipients=message.recipients,
        subject=message.subject,
        text_body=message.text_body,
        html_body=message.html_body,
        message_id=message.message_id,
        created_at=message.created_at,
    )


def _recipients(to: str | Iterable[str]) -> str:
    values = [to] if isinstance(to, str) else list(to)
    if not values:
        raise ValueError("at least one recipient is needed")
    formatted = []
    for value in values:
        if not isinstance(value, str) or not smtp.valid_address(value):
            # The value is not echoed: it is probably someone's address.
            raise ValueError("a recipient is not a valid email address")
        formatted.append(formataddr(parseaddr(value)))
    return ", ".join(formatted)


@lru_cache(maxsize=16)
def _domain_of(sender: str) -> str:
    pairs = getaddresses([sender])
    address = pairs[0][1] if pairs else ""
    return address.rpartition("@")[2] or "rights-desk.invalid"
