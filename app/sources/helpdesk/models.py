"""The support desk: tickets, chat transcripts and the summaries emailed out.

Support staff ask the user's permission before looking at a record (that
grant lives in the access log); every chat produces a transcript emailed to
the address used in the chat, and work on a ticket produces an email summary.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UUIDPrimaryKey


class Ticket(UUIDPrimaryKey, Base):
    __tablename__ = "tickets"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    channel: Mapped[str] = mapped_column(String(20))  # chat, email, telephone
    status: Mapped[str] = mapped_column(String(20))  # triage, escalated, resolved
    category: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(300))
    # The school user who asked for help (support knows them by username and email).
    requester_name: Mapped[str] = mapped_column(String(200))
    # Cleared, with the name, when retention takes a leaver off the ticket.
    requester_email: Mapped[str | None] = mapped_column(String(320), index=True)
    requester_employee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL"), index=True
    )
    # When the request concerned one pupil's record.
    about_pupil_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("pupils.id", ondelete="SET NULL"), index=True
    )
    assigned_agent: Mapped[str | None] = mapped_column(String(200))

    entries: Mapped[list[TicketEntry]] = relationship(back_populates="ticket", order_by="TicketEntry.sent_at")
    summaries: Mapped[list[TicketSummaryEmail]] = relationship(back_populates="ticket")


class TicketEntry(UUIDPrimaryKey, Base):
    """One line of a chat transcript, an email in the thread, or a call note."""

    __tablename__ = "ticket_entries"

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20))  # chat, email, call_note, internal_note
    author_name: Mapped[str] = mapped_column(String(200))
    author_role: Mapped[str] = mapped_column(String(20))  # customer, agent
    body: Mapped[str] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="entries")


class TicketSummaryEmail(UUIDPrimaryKey, Base):
    __tablename__ = "ticket_summary_emails"

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime]
    # Cleared when retention takes the leaver it went to off the ticket.
    to_email: Mapped[str | None] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="summaries")
