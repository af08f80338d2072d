"""Delivering outbox messages: numbered attempts, each claimed once.

Every path that queues delivery (``send_mail``, Send again, ``retry_failed``,
``flask jobs retry`` of a failed delivery job) queues one numbered attempt,
and a delivery job sends only after claiming its attempt
(``claim_delivery``): however those paths race, one attempt is one
conversation with the mail server.

An attempt goes to the recipients still waiting: when a server accepts a
message for some recipients and refuses others, those it accepted are
recorded (``OutboxMessage.delivered_to``) and never sent it again.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import getaddresses
from typing import NoReturn

from flask import current_app
from sqlalchemy import func, or_, select, update

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.jobs import Job, JobError, current_job, enqueue, task
from app.mail import smtp
from app.mail.models import ABANDONED_ERROR, OutboxMessage, OutboxStatus, address_of

log = logging.getLogger(__name__)

DELIVER_TASK = "mail.deliver"
# RQ kills a delivery that runs longer than this. A claimed attempt counts as
# interrupted only after ``STALE_AFTER``, which must stay well beyond it, or
# a delivery still talking to the server would be claimed and sent twice.
DELIVERY_TIMEOUT_SECONDS = 120
STALE_AFTER = timedelta(minutes=30)
# The attempts ``retry_failed`` makes by itself: a failed message is tried
# again until it has had this many, and a message whose worker stopped this
# many attempts in a row is given up (failed, with ``ABANDONED_ERROR`` as
# its error). Staff can still send either again.
MAX_AUTOMATIC_ATTEMPTS = 5


class MailDeliveryError(JobError):
    """A delivery attempt failed; the message names ids and SMTP codes only."""


def claim_delivery(message_id: uuid.UUID, attempt: int | None = None) -> int | None:
    """Take delivery attempt number ``attempt`` of a message waiting for
    delivery (pending or failed), one compare-and-set: it is taken only if
    ``attempts`` is still one less, so of several jobs queued for the same
    attempt (Send again pressed twice, or racing the sweep; a job delivered
    twice) exactly one gets it and the others find it taken. Returns the
    attempt taken, or None.

    ``attempt`` None is a job queued before attempts were numbered: it takes
    the next attempt, but only while no attempt is under way (or was cut off
    by its worker stopping, which is ``retry_failed``'s to settle), so it
    never sends beside a numbered attempt; a numbered job queued for the
    attempt it took finds it taken. The caller commits (as the ``on_claim``
    of ``mail.deliver``, the runner, with its claim of the job), before
    anything is sent, so no lock is held while the server is talked to.
    """
    condition = [
        OutboxMessage.id == message_id,
        OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.FAILED)),
    ]
    if attempt is not None:
        condition.append(OutboxMessage.attempts == attempt - 1)
    else:
        condition.append(OutboxMessage.unfinished_attempts == 0)
    claim = (
        update(OutboxMessage)
        .where(*condition)
        # Pending again, so a failed message being retried is not offered
        # for Send again (nor taken by another job) while it is sent.
        .values(
            status=OutboxStatus.PENDING,
            attempts=OutboxMessage.attempts + 1,
            unfinished_attempts=OutboxMessage.unfinished_attempts + 1,
            last_attempt_at=utcnow(),
        )
        .returning(OutboxMessage.attempts)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(claim).scalar_one_or_none()


def retry_delivery(message_id: uuid.UUID | str, attempt: int | None = None) -> Job:
    """Retry a failed ``mail.deliver`` job (``flask jobs retry``): the
    message's delivery is queued again as Send again queues it, a new
    numbered attempt to the recipients still waiting (the failed job's own
    attempt is spent). ValueError, saying why, when the message is not
    failed or no mail server is configured. Audited; the caller commits."""
    message_id = uuid.UUID(str(message_id))
    if not current_app.config.get("SMTP_URL"):
        raise ValueError("no mail server is configured (SMTP_URL), so nothing can be sent")
    message = requeue_failed(message_id)
    if message is None:
        current = db.session.get(OutboxMessage, message_id)
        if current is None:
            raise ValueError(f"its email {message_id} no longer exists (deleted after retention)")
        raise ValueError(_not_failed(current))
    job = queue_delivery(message)
    record(
        "mail.sent_again",
        actor_type="system",
        object_type="case" if message.case_id else "outbox_message",
        object_id=message.case_id or message.id,
        data={"message": message.id, "attempts": message.attempts, "via": "jobs.retry"},
    )
    return job


@task(DELIVER_TASK, timeout=DELIVERY_TIMEOUT_SECONDS, on_claim=claim_delivery, retry_as=retry_delivery)
def deliver(message_id: uuid.UUID, attempt: int | None = None) -> None:
    """Make delivery attempt ``attempt`` of one outbox message by SMTP, to
    the recipients the server has not accepted yet.

    The attempt is claimed first (``claim_delivery``) and that claim is
    committed before sending, so two jobs for the same attempt never both
    send, and a message already sent (or kept in the outbox) is not sent.

    Delivery is at-least-once, by design: if the process dies after the
    server accepted the message but before the "sent" commit, the claimed
    attempt stays pending, ``retry_failed`` takes it for interrupted once
    ``STALE_AFTER`` has passed, and the message goes again with the same
    Message-ID (so receiving systems can see the repeat). Losing it instead
    would be worse. A failure is committed on the row (status failed, error,
    and the recipients accepted if the server refused only some) before the
    job itself is failed, so ``retry_failed`` can pick it up.
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
    waiting = [address for _name, address in getaddresses(message.waiting_recipients)]
    try:
        settings = smtp.parse_smtp_url(current_app.config.get("SMTP_URL") or "")
        # Empty only if every recipient's acceptance is recorded already.
        refused = smtp.send(_email_for(message), settings, to_addrs=waiting) if waiting else {}
    except Exception as exc:
        _failed(message, smtp.describe_smtp_error(exc), claimed)
    if refused:
        # The server's refusals are keyed by the addresses given to it; any
        # other key means they cannot be told apart, and then nobody is
        # counted as delivered (a repeat is better than a loss).
        if set(refused) <= set(waiting):
            _add_delivered(message, {address.lower() for address in waiting if address not in refused})
        _failed(message, smtp.describe_smtp_error(smtplib.SMTPRecipientsRefused(refused)), claimed)
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.last_error = None
    message.unfinished_attempts = 0
    if message.delivered_to is not None:
        message.delivered_to = message.recipients
    log.info("mail %s (%s) sent", message_id, message.category)


def _failed(message: OutboxMessage, error: str, attempt: int) -> NoReturn:
    message.status = OutboxStatus.FAILED
    message.last_error = error
    message.unfinished_attempts = 0
    db.session.commit()
    log.warning("mail %s not delivered (attempt %d): %s", message.id, attempt, error)
    raise MailDeliveryError(f"outbox message {message.id} not delivered: {error}") from None


def _add_delivered(message: OutboxMessage, addresses: set[str]) -> None:
    """Record that the server accepted the message for ``addresses``
    (lower-cased), besides those it accepted before."""
    if not addresses:
        return
    waiting = set(message.waiting_recipients)
    delivered = [
        entry for entry in message.recipient_list if entry not in waiting or address_of(entry) in addresses
    ]
    message.delivered_to = ", ".join(delivered)


def queue_delivery(message: OutboxMessage) -> Job:
    """Queue the message's next delivery attempt, after the caller commits."""
    return enqueue(deliver, message.id, attempt=message.attempts + 1)


def requeue_failed(message_id: uuid.UUID) -> OutboxMessage | None:
    """Failed -> pending in one compare-and-set, not a read then a write: of
    two at once (two tabs, a double click, two API calls, the CLI), one
    gets the message to queue its delivery and the other None."""
    again = (
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING)
        .returning(OutboxMessage)
        # The row as updated is loaded over any copy already read.
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return db.session.scalars(again).one_or_none()


def _not_failed(message: OutboxMessage) -> str:
    why = {
        OutboxStatus.SENT: "it was delivered, so there is nothing to retry",
        OutboxStatus.PENDING: (
            "it is waiting for delivery (a job is queued or under way; one whose worker stopped is "
            "queued again by the periodic mail retry, flask mail retry, once its attempt is "
            f"{int(STALE_AFTER.total_seconds() // 60)} minutes old)"
        ),
        OutboxStatus.OUTBOX: "it is kept in the outbox, never sent: no mail server was configured",
    }
    return f"its email {message.id} is {message.status.value}: {why.get(message.status, 'try again')}"


def retry_failed(
    *,
    max_attempts: int = MAX_AUTOMATIC_ATTEMPTS,
    stale_after: timedelta = STALE_AFTER,
    limit: int = 200,
) -> list[OutboxMessage]:
    """Queue delivery again for failed messages with attempts left, and for
    messages left pending longer than ``stale_after``: since they were
    written or their last attempt was claimed (the job was lost, or the
    process running it died). A message whose worker stopped
    ``max_attempts`` attempts in a row is not queued again but marked failed
    (``ABANDONED_ERROR``): something about it kills the worker. Returns the
    messages queued; the caller commits. Run it periodically (cron or
    ``flask mail retry``).

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
    queued = []
    for message in db.session.scalars(query):
        if message.status is OutboxStatus.PENDING and message.unfinished_attempts >= max_attempts:
            message.status = OutboxStatus.FAILED
            message.last_error = ABANDONED_ERROR.format(attempts=message.unfinished_attempts)
            message.unfinished_attempts = 0
            log.warning("mail %s: %s", message.id, message.last_error)
            continue
        message.status = OutboxStatus.PENDING
        queue_delivery(message)
        queued.append(message)
    db.session.flush()
    return queued


def _email_for(message: OutboxMessage) -> EmailMessage:
    return smtp.build_message(
        sender=message.sender,
        recipients=message.recipients,
        subject=message.subject,
        text_body=message.text_body,
        html_body=message.html_body,
        message_id=message.message_id,
        created_at=message.created_at,
    )
