"""School staff as the organisation's workforce records hold them."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, CreatedAt, UUIDPrimaryKey


class Employee(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "employees"
    __table_args__ = (
        UniqueConstraint("organisation_id", "staff_number"),
        Index("ix_employees_surname_key_forename_key", "surname_key", "forename_key"),
        CheckConstraint("leave_date IS NULL OR leave_date >= start_date", name="dates_ordered"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    staff_number: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str | None] = mapped_column(String(20))
    forename: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    surname_key: Mapped[str] = mapped_column(String(100))
    forename_key: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(1))
    date_of_birth: Mapped[date | None]
    work_email: Mapped[str | None] = mapped_column(String(320), index=True)
    personal_email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(100))
    # Teaching status as the school workforce census records it.
    teaching_status: Mapped[str] = mapped_column(String(30))
    teacher_reference_number: Mapped[str | None] = mapped_column(String(7), index=True)
    start_date: Mapped[date]
    leave_date: Mapped[date | None] = mapped_column(index=True)
    # Retention keeps the name for historical reports; the rest is cleared.
    anonymised_at: Mapped[date | None]
