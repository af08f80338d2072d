"""Sending mail without ever losing it.

``send_mail`` writes an ``OutboxMessage`` in the caller's transaction and,
when ``SMTP_URL`` is set, enqueues the ``mail.deliver`` job, which the jobs
system dispatches only after that transaction commits. A rolled-back request
therefore sends nothing, and a committed one always leaves a row that is
either sent, or failed with its error and retried by ``retry_failed``.

How a message is delivered (numbered attempts, each claimed once; only to
the recipients still waiting) is ``app.mail.delivery``.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from email.utils import formataddr, getaddresses, parseaddr
from functools import lru_cache

from flask import current_app
from sqlalchemy import func, select

from app.audit.services import record
from app.db import new_uuid, utcnow
from app.extensions import db
from app.mail import smtp
from app.mail.addresses import UndeliverableAddress, ascii_address
from app.mail.delivery import (
    DELIVER_TASK,
    DELIVERY_TIMEOUT_SECONDS,
    MAX_AUTOMATIC_ATTEMPTS,
    MailDeliveryError,
    claim_delivery,
    deliver,
    queue_delivery,
    requeue_failed,
    retry_failed,
)
from app.mail.models import OutboxMessage, OutboxStatus

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "DELIVERY_TIMEOUT_SECONDS",
    "DELIVER_TASK",
    "MailDeliveryError",
    "NotSendable",
    "case_messages",
    "category_label",
    "claim_delivery",
    "deliver",
    "get_message",
    "latest_staff_mail",
    "list_outbox",
    "retry_failed",
    "send_again",
    "send_mail",
]

# The automatic attempts ``retry_failed`` makes (``flask mail retry``'s default).
DEFAULT_MAX_ATTEMPTS = MAX_AUTOMATIC_ATTEMPTS

log = logging.getLogger(__name__)

_CATEGORY = re.compile(r"^[a-z][a-z0-9_.-]{0,59}$")


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
        # Set here, not left to the column defaults: a value left to its
        # default sends the form's submission through the ORM flush instead
        # of intake's one direct INSERT (intake.services.write_new_rows).
        attempts=0,
        unfinished_attempts=0,
        created_at=utcnow(),
    )
    message.message_id = f"<{message.id}@{_domain_of(sender)}>"
    # Added, not flushed: the row goes in with the caller's next flush or
    # commit, in one unit of work with everything else the request wrote.
    # (``enqueue`` flushes by itself when it records the delivery job.)
    db.session.add(message)
    if smtp_configured:
        queue_delivery(message)
    else:
        log.info("mail %s (%s) kept in the outbox: SMTP_URL is not set", message.id, category)
    return message


# What each kind of message about a case is, for the people working it.
CATEGORY_LABELS = {
    "intake.confirmation_code": "Confirmation code",
    "case.acknowledgement": "Acknowledgement",
    "case.school_notice": "Notice to the school",
    "case.status_link": "Status page link",
    "case.identity_request": "Request for proof of identity",
    "case.identity_accepted": "Identity accepted: the date we must respond by",
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
    "case.restriction_started": "Restriction in place: the answer",
    "case.objection_decided": "Objection decided: the answer",
    "case.nothing_held": "No personal data held: the answer",
    "case.nothing_held_school": "To the school: no personal data held, check its other records",
    "case.consent_withdrawn": "Consent withdrawn: the answer",
    "pack.link": "Response download link",
    "pack.code": "Response download code",
    "pack.transmitted": "Data sent to another organisation (Art 20(2))",
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
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.case_id != case_id:
        raise LookupError("no such message on this case")
    if not current_app.config.get("SMTP_URL"):
        raise NotSendable("no mail server is configured (SMTP_URL), so nothing can be sent")
    # Of two presses at once (two tabs, a double click, two API calls), one
    # queues the delivery and the other is told it is no longer failed.
    if requeue_failed(message_id) is None:
        db.session.refresh(message)
        raise NotSendable(f"only an email that failed can be sent again; this one is {message.status.value}")
    queue_delivery(message)
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


def _recipients(to: str | Iterable[str]) -> str:
    values = [to] if isinstance(to, str) else list(to)
    if not values:
        raise ValueError("at least one recipient is needed")
    formatted = []
    for value in values:
        if not isinstance(value, str) or not smtp.valid_address(value):
            # The value is not echoed: it is probably someone's address.
            raise ValueError("a recipient is not a valid email address")
        name, address = parseaddr(value)
        try:
            # An accented domain goes out in its ASCII form; an address that
            # cannot is refused where it is typed (app.mail.addresses).
            address = ascii_address(address)
        except UndeliverableAddress:
            raise ValueError("a recipient's address cannot be sent to") from None
        formatted.append(formataddr((name, address)))
    return ", ".join(formatted)


@lru_cache(maxsize=16)
def _domain_of(sender: str) -> str:
    pairs = getaddresses([sender])
    address = pairs[0][1] if pairs else ""
    return address.rpartition("@")[2] or "rights-desk.invalid"
