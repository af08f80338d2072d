"""Organisations: the schools, nurseries and trusts that are controllers."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, CreatedAt, UUIDPrimaryKey, str_enum


class OrgKind(enum.StrEnum):
    SCHOOL = "school"
    NURSERY = "nursery"
    TRUST = "trust"


class Nation(enum.StrEnum):
    """Bank holidays differ by nation; England and Wales share one list."""

    ENGLAND = "england"
    WALES = "wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern-ireland"


def public_authority_by_kind(kind: OrgKind | str) -> bool:
    """What an organisation is taken to be when nobody said: a school or a
    trust a public authority, a nursery not (most are private). Migration
    0036 backfilled the same rule."""
    return OrgKind(kind) is not OrgKind.NURSERY


class Organisation(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("trust_id IS NULL OR kind != 'trust'", name="trust_not_nested"),
        CheckConstraint(
            "contract_end IS NULL OR contract_end >= contract_start", name="contract_dates_ordered"
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, "org_kind", 20))
    # DfE unique reference number; trusts have a companies-house number instead.
    urn: Mapped[str | None] = mapped_column(String(12), unique=True)
    # DfE "LAESTAB": local authority number + establishment number, used in UPNs.
    la_code: Mapped[str | None] = mapped_column(String(3))
    establishment_number: Mapped[str | None] = mapped_column(String(4))
    nation: Mapped[Nation] = mapped_column(str_enum(Nation, "nation", 20))
    trust_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    contract_start: Mapped[date]
    contract_end: Mapped[date | None]
    dp_contact_name: Mapped[str] = mapped_column(String(200))
    dp_contact_email: Mapped[str] = mapped_column(String(320))
    dp_contact_phone: Mapped[str | None] = mapped_column(String(40))
    # The organisation's own response target in calendar days (the company's
    # procedure promises 30); never replaces the statutory date.
    internal_target_days: Mapped[int | None]
    # A public authority (UK GDPR Art 6(1), last sentence) cannot rest its
    # tasks on legitimate interests. State schools, academies and trusts are
    # (FOIA Sch 1, which DPA 2018 s.7 uses); private nurseries and
    # independent schools are not. Set on import; ``public_authority_by_kind``
    # is the default there and for rows made without it.
    public_authority: Mapped[bool] = mapped_column(
        default=lambda context: public_authority_by_kind(context.get_current_parameters()["kind"])
    )
    updated_at: Mapped[datetime | None]

    trust: Mapped[Organisation | None] = relationship(remote_side="Organisation.id", back_populates="members")
    members: Mapped[list[Organisation]] = relationship(back_populates="trust")

    @property
    def service_ends_on(self) -> date | None:
        """The day the service ends: the organisation's own contract end or,
        for a trust's member school without one, the trust's (the trust is
        then the customer for its schools). Retention's SQL follows the same
        rule (``app.rights.predicates.ended_contracts``)."""
        if self.contract_end is not None or self.trust is None:
            return self.contract_end
        return self.trust.contract_end

    def __repr__(self) -> str:
        return f"<Organisation {self.kind.value} {self.name!r}>"
