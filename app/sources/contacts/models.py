"""Parents, carers and other named contacts of pupils."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.db import Base, CreatedAt, UUIDPrimaryKey
from app.sources.names import phone_key

_PHONE_KEYS = {"mobile_phone": "mobile_key", "home_phone": "home_key"}

# Relationship codes as the DfE common basic data set spells them.
RELATIONSHIPS = (
    "Mother",
    "Father",
    "Step-mother",
    "Step-father",
    "Carer",
    "Foster carer",
    "Grandparent",
    "Aunt",
    "Uncle",
    "Sibling",
    "Social worker",
    "Childminder",
    "Other relative",
    "Other",
)


class Contact(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_org_surname_key", "organisation_id", "surname_key"),)

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    title: Mapped[str | None] = mapped_column(String(20))
    forename: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    surname_key: Mapped[str] = mapped_column(String(100))
    forename_key: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    mobile_phone: Mapped[str | None] = mapped_column(String(40))
    home_phone: Mapped[str | None] = mapped_column(String(40))
    # The phones as keys (app.sources.names.phone_key) for matching a
    # requester who gives a number; kept in step by ``_phone_keys``.
    mobile_key: Mapped[str | None] = mapped_column(String(15), index=True)
    home_key: Mapped[str | None] = mapped_column(String(15), index=True)
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(10), index=True)
    anonymised_at: Mapped[date | None]

    pupil_links: Mapped[list[PupilContact]] = relationship(back_populates="contact")

    @validates("mobile_phone", "home_phone")
    def _phone_keys(self, name: str, value: str | None) -> str | None:
        # Every write through the ORM (imports, rectification) keeps the key
        # in step; bulk writers (the demo seed) compute it themselves.
        setattr(self, _PHONE_KEYS[name], phone_key(value))
        return value


class PupilContact(UUIDPrimaryKey, Base):
    """A contact's relationship to one pupil; siblings share their contacts."""

    __tablename__ = "pupil_contacts"
    __table_args__ = (UniqueConstraint("pupil_id", "contact_id"),)

    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    relationship_to_pupil: Mapped[str] = mapped_column(String(40))
    parental_responsibility: Mapped[bool]
    # 1 is the first person the school calls.
    contact_priority: Mapped[int]
    lives_with_pupil: Mapped[bool] = mapped_column(default=True)
    receives_correspondence: Mapped[bool] = mapped_column(default=True)

    contact: Mapped[Contact] = relationship(back_populates="pupil_links")
