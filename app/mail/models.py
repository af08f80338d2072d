"""``OutboxMessage``: every email the service sends, written before sending.

The row is written in the transaction that decided to send, so a message
exists exactly when that decision was committed; delivery happens after, by
a job, and can be retried until it succeeds. Without ``SMTP_URL`` messages
simply stay here with status ``outbox`` for developers to read.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from email.utils import formataddr, getaddresses, parseaddr
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, EncryptedText, UUIDPrimaryKey, str_enum, utcnow

if TYPE_CHECKING:
    from app.cases.models import Case


def address_of(recipient: str) -> str:
    """The address of one recipient entry ("Name <address>"), lower-cased."""
    return parseaddr(recipient)[1].lower()


# The error of a message ``retry_failed`` gave up on: its worker stopped
# (died, was killed) during each of its last attempts.
ABANDONED_ERROR = "delivery abandoned after {attempts} attempts: the worker stopped each time"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for (another) delivery attempt
    SENT = "sent"  # accepted by the SMTP server
    FAILED = "failed"  # last attempt failed; ``flask mail retry`` tries again
    OUTBOX = "outbox"  # no SMTP configured: kept for developers, never sent


class OutboxMessage(UUIDPrimaryKey, Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_created_at", "status", "created_at"),)

    # What kind of message this is ("case.acknowledgement", "test"): a code,
    # so it can be listed and counted without decrypting anything.
    category: Mapped[str] = mapped_column(String(60), index=True)
    sender: Mapped[str] = mapped_column(String(320))
    # The case the message is about, so the case shows its letters' delivery;
    # None for staff mail (invitations, password resets) and tests.
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    # Never loaded; it is here so a flush writes a new case before the
    # messages about it (the unit of work orders rows by relationships).
    case: Mapped[Case | None] = relationship(lazy="raise")
    # The staff account an invitation or password-reset email went to, so
    # the Staff page shows one that was not delivered; None otherwise.
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Addresses, subject and bodies are about a person: sealed at rest.
    recipients: Mapped[str] = mapped_column(EncryptedText("outbox_messages.recipients"))
    # The recipients (entries of ``recipients``) the server has accepted when
    # it refused others: a later attempt goes only to the rest. None until a
    # server refuses some and accepts others.
    delivered_to: Mapped[str | None] = mapped_column(EncryptedText("outbox_messages.delivered_to"))
    subject: Mapped[str] = mapped_column(EncryptedText("outbox_messages.subject"))
    text_body: Mapped[str] = mapped_column(EncryptedText("outbox_messages.text_body"))
    html_body: Mapped[str | None] = mapped_column(EncryptedText("outbox_messages.html_body"))
    # Fixed when the row is written, so a message sent twice after a crash
    # carries the same Message-ID and receiving systems can see the repeat.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status", 20),
        default=OutboxStatus.PENDING,
    )
    # Delivery attempts taken so far, counted when a job claims one and before
    # it sends; each delivery job is queued for one numbered attempt, and of
    # jobs queued for the same attempt only one can claim it.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts in a row claimed and never finished (neither sent nor failed
    # recorded): the one under way, and those whose worker stopped before it
    # could say how it went. Back to 0 once an attempt's outcome is recorded.
    unfinished_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # SMTP reply code and error type, with any address masked.
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]

    @property
    def recipient_list(self) -> list[str]:
        return [formataddr(pair) for pair in getaddresses([self.recipients])]

    @property
    def waiting_recipients(self) -> list[str]:
        """The recipients the server has not accepted yet: none once sent,
        all of them until a server accepts some."""
        if self.status is OutboxStatus.SENT:
            return []
        delivered = {address.lower() for _name, address in getaddresses([self.delivered_to or ""])}
        return [entry for entry in self.recipient_list if address_of(entry) not in delivered]

    @property
    def abandoned(self) -> bool:
        """Given up by ``retry_failed`` because its worker kept stopping."""
        prefix = ABANDONED_ERROR.partition("{")[0]
        return self.status is OutboxStatus.FAILED and (self.last_error or "").startswith(prefix)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.category} {self.status.value}>"
