"""Sending mail without ever losing it.

``send_mail`` writes an ``OutboxMessage`` in the caller's transaction and,
when ``SMTP_URL`` is set, enqueues the ``mail.deliver`` job, which the jobs
system dispatches only after that transaction commits. A rolled-back request
therefore sends nothing, and a committed one always leaves a row that is
either sent, or failed with its error and retried by ``retry_failed``.

Every path that queues delivery (``send_mail``, ``send_again``,
``retry_failed``) queues one numbered attempt, and a delivery job sends only
after claiming its attempt (``claim_delivery``): however those paths race,
one attempt is one conversation with the mail server.
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
from sqlalchemy import func, or_, select, update

from app.audit.services import record
from app.db import new_uuid, utcnow
from app.extensions import db
from app.jobs import JobError, current_job, enqueue, task
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
        _queue_delivery(message)
    else:
        log.info("mail %s (%s) kept in the outbox: SMTP_URL is not set", message.id, category)
    return message


DELIVER_TASK = "mail.deliver"
# RQ kills a delivery that runs longer than this. A claimed attempt counts as
# interrupted only after ``retry_failed``'s ``stale_after``, which must stay
# well beyond it, or a delivery still talking to the server would be claimed
# and sent a second time.
DELIVERY_TIMEOUT_SECONDS = 120


def claim_delivery(message_id: uuid.UUID, attempt: int | None = None) -> int | None:
    """Take delivery attempt number ``attempt`` of a message waiting for
    delivery (pending or failed), one compare-and-set: it is taken only if
    ``attempts`` is still one less, so of several jobs queued for the same
    attempt (Send again pressed twice, or racing the sweep; a job delivered
    twice) exactly one gets it and the others find it taken. Returns the
    attempt taken, or None.

    ``attempt`` None is a job queued before attempts were numbered: it takes
    whatever attempt comes next. The caller commits (as the ``on_claim`` of
    ``mail.deliver``, the runner, with its claim of the job), before
    anything is sent, so no lock is held while the server is talked to.
    """
    condition = [
        OutboxMessage.id == message_id,
        OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.FAILED)),
    ]
    if attempt is not None:
        condition.append(OutboxMessage.attempts == attempt - 1)
    claim = (
        update(OutboxMessage)
        .where(*condition)
        # Pending again, so a failed message being retried is not offered
        # for Send again (nor taken by another job) while it is sent.
        .values(status=OutboxStatus.PENDING, attempts=OutboxMessage.attempts + 1, last_attempt_at=utcnow())
        .returning(OutboxMessage.attempts)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(claim).scalar_one_or_none()


@task(DELIVER_TASK, timeout=DELIVERY_TIMEOUT_SECONDS, on_claim=claim_delivery)
def deliver(message_id: uuid.UUID, attempt: int | None = None) -> None:
    """Make delivery attempt ``attempt`` of one outbox message by SMTP.

    The attempt is claimed first (``claim_delivery``) and that claim is
    committed before sending, so two jobs for the same attempt never both
    send, and a message already sent (or kept in the outbox) is not sent.

    Delivery is at-least-once, by design: if the process dies after the
    server accepted the message but before the "sent" commit, the claimed
    attempt stays pending, ``retry_failed`` takes it for interrupted once
    ``stale_after`` has passed, and the message goes again with the same
    Message-ID (so receiving systems can see the repeat). Losing it instead
    would be worse. A failure is committed on the row (status failed, error)
    before the job itself is failed, so ``retry_failed`` can pick it up.
    """
    session = db.session
    job = current_job()
    if job is not None and job.name == DELIVER_TASK:
        claimed = job.claimed
    else:  # called directly (a script, a test): claim, and commit the claim, here
        claimed = claim_delivery(message_id, attempt)
        session.commit()
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise MailDeliveryError(f"outbox message {message_id} does not exist")
    if claimed is None:
        log.info(
            "mail %s: attempt %s already taken (%s, %d attempts); not sending",
            message_id,
            attempt if attempt is not None else "next",
            message.status.value,
            message.attempts,
        )
        return
    try:
        settings = smtp.parse_smtp_url(current_app.config.get("SMTP_URL") or "")
        smtp.send(_email_for(message), settings)
    except Exception as exc:
        message.status = OutboxStatus.FAILED
        message.last_error = smtp.describe_smtp_error(exc)
        session.commit()
        log.warning("mail %s not delivered (attempt %d): %s", message_id, claimed, message.last_error)
        raise MailDeliveryError(f"outbox message {message_id} not delivered: {message.last_error}") from None
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.last_error = None
    log.info("mail %s (%s) sent", message_id, message.category)


def _queue_delivery(message: OutboxMessage) -> None:
    """Queue the message's next delivery attempt, after the caller commits."""
    enqueue(deliver, message.id, attempt=message.attempts + 1)


def retry_failed(
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    stale_after: timedelta = timedelta(minutes=30),
    limit: int = 200,
) -> list[OutboxMessage]:
    """Queue delivery again for failed messages with attempts left, and for
    messages left pending longer than ``stale_after``: since they were
    written or their last attempt was claimed (the job was lost, or the
    process running it died). The caller commits; run it periodically (cron
    or ``flask mail retry``).

    A message whose delivery job is merely slow to start may be queued a
    second time; both jobs are for the same attempt and only one can claim
    it (``claim_delivery``), so it is still sent once."""
    if not current_app.config.get("SMTP_URL"):
        return []
    cutoff = utcnow() - stale_after
    waiting_since = func.coalesce(OutboxMessage.last_attempt_at, OutboxMessage.created_at)
    query = (
        select(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.status == OutboxStatus.FAILED) & (OutboxMessage.attempts < max_attempts),
                (OutboxMessage.status == OutboxStatus.PENDING) & (waiting_since < cutoff),
            )
        )
        .order_by(OutboxMessage.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    messages = list(db.session.scalars(query))
    for message in messages:
        message.status = OutboxStatus.PENDING
        _queue_delivery(message)
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
    "case.restriction_started": "Restriction in place: the answer",
    "case.objection_decided": "Objection decided: the answer",
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
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.case_id != case_id:
        raise LookupError("no such message on this case")
    if not current_app.config.get("SMTP_URL"):
        raise NotSendable("no mail server is configured (SMTP_URL), so nothing can be sent")
    # Failed -> pending in one compare-and-set, not a read then a write: of
    # two presses at once (two tabs, a double click, two API calls), one
    # queues the delivery and the other is told it is no longer failed.
    again = (
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING)
        .returning(OutboxMessage)
        # The row as updated is loaded over the one read above.
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    if db.session.scalars(again).one_or_none() is None:
        db.session.refresh(message)
        raise NotSendable(f"only an email that failed can be sent again; this one is {message.status.value}")
    _queue_delivery(message)
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
