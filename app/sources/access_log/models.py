"""Who looked at or changed a person's records, and support-access grants."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UUIDPrimaryKey, str_enum
from app.sources.correspondence.models import PersonKind


class AccessLogEntry(UUIDPrimaryKey, Base):
    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_person", "person_kind", "person_id", "occurred_at"),)

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    occurred_at: Mapped[datetime]
    # school_user (a school's own staff, in its systems or signed in to our
    # console and API), support_agent, rights_desk (our data protection
    # staff in the console and API), link_school_contact, link_requester, system
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_email: Mapped[str | None] = mapped_column(String(320), index=True)
    person_kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind, "person_kind", 10))
    # Not a foreign key: the log outlives erased records and names no table.
    person_id: Mapped[uuid.UUID]
    action: Mapped[str] = mapped_column(String(20))  # view, update, export, print
    area: Mapped[str] = mapped_column(String(60))  # which screen or record part
    # The support-access grant a support view was made under, if any.
    grant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("support_access_grants.id", ondelete="SET NULL"), index=True
    )


class SupportAccessGrant(UUIDPrimaryKey, Base):
    """Permission a school user gave support staff to look at their record:
    a consent limited in time (``expires_at``) and revocable (``revoked_at``)."""

    __tablename__ = "support_access_grants"
    __table_args__ = (CheckConstraint("expires_at > granted_at", name="expires_after_granted"),)

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    granted_by_name: Mapped[str] = mapped_column(String(200))
    granted_by_email: Mapped[str] = mapped_column(String(320), index=True)
    granted_by_employee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL"), index=True
    )
    agent_name: Mapped[str] = mapped_column(String(200))
    # The support account the grant names (set for grants given here; grants
    # imported from the platform carry the agent's name only).
    agent_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    scope: Mapped[str] = mapped_column(String(100))
    # Set for grants given in our console; imported ones carry names only.
    purpose: Mapped[str | None] = mapped_column(String(300))
    granted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    revoked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
