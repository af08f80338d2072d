"""Messages sent through the service that concern named individuals."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UUIDPrimaryKey, str_enum


class PersonKind(enum.StrEnum):
    PUPIL = "pupil"
    CONTACT = "contact"
    EMPLOYEE = "employee"


class Message(UUIDPrimaryKey, Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_org_sent_at", "organisation_id", "sent_at"),)

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    sent_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(20))  # email, letter, in-app
    sender_name: Mapped[str] = mapped_column(String(200))
    sender_email: Mapped[str | None] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)

    recipients: Mapped[list[MessageRecipient]] = relationship(back_populates="message")
    people: Mapped[list[MessagePerson]] = relationship(back_populates="message")


class MessageRecipient(UUIDPrimaryKey, Base):
    __tablename__ = "message_recipients"

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(3))  # to, cc, bcc
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), index=True)

    message: Mapped[Message] = relationship(back_populates="recipients")


class MessagePerson(UUIDPrimaryKey, Base):
    """A person a message is about, as the sender tagged it. Others may still
    be named in the body; finding those is the collector's job."""

    __tablename__ = "message_people"
    __table_args__ = (
        CheckConstraint(
            "(person_kind = 'pupil') = (pupil_id IS NOT NULL)"
            " AND (person_kind = 'contact') = (contact_id IS NOT NULL)"
            " AND (person_kind = 'employee') = (employee_id IS NOT NULL)",
            name="one_person",
        ),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    person_kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind, "person_kind", 10))
    pupil_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("pupils.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    employee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )

    message: Mapped[Message] = relationship(back_populates="people")
