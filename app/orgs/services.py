"""Creating organisations and answering "which organisations does this cover"."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ColumnElement, String, cast, func, or_, select

from app.extensions import db
from app.orgs.models import Nation, Organisation, OrgKind, public_authority_by_kind
from app.sources.validation import FieldError, check_date_order, check_email


def create_organisation(
    *,
    name: str,
    kind: OrgKind | str,
    nation: Nation | str,
    contract_start: date,
    dp_contact_name: str,
    dp_contact_email: str,
    contract_end: date | None = None,
    trust: Organisation | None = None,
    urn: str | None = None,
    la_code: str | None = None,
    establishment_number: str | None = None,
    internal_target_days: int | None = 30,
    public_authority: bool | str | None = None,
) -> Organisation:
    """Validate and add an organisation; every error names its field.

    ``public_authority`` may come from an import's column as yes/no or
    true/false; left out (None or empty), it follows the organisation's kind
    (``public_authority_by_kind``)."""
    name = name.strip()
    if not name:
        raise FieldError("name", "an organisation needs a name")
    try:
        kind = OrgKind(kind)
    except ValueError:
        raise FieldError("kind", f"{kind!r} is not one of {', '.join(k.value for k in OrgKind)}") from None
    try:
        nation = Nation(nation)
    except ValueError:
        raise FieldError("nation", f"{nation!r} is not one of {', '.join(n.value for n in Nation)}") from None
    check_date_order(contract_start, contract_end, "contract_end")
    authority = _public_authority(public_authority, kind)
    if trust is not None:
        if kind is OrgKind.TRUST:
            raise FieldError("trust", "a trust cannot belong to another trust")
        if trust.kind is not OrgKind.TRUST:
            raise FieldError("trust", f"{trust.name} is not a trust")
    if internal_target_days is not None and not 1 <= internal_target_days <= 31:
        raise FieldError("internal_target_days", "must be between 1 and 31 days")
    if la_code is not None and not (la_code.isdigit() and len(la_code) == 3):
        raise FieldError("la_code", f"{la_code!r} is not a three-digit local authority number")
    if establishment_number is not None and not (
        establishment_number.isdigit() and len(establishment_number) == 4
    ):
        raise FieldError("establishment_number", f"{establishment_number!r} is not four digits")
    organisation = Organisation(
        name=name,
        kind=kind,
        nation=nation,
        contract_start=contract_start,
        contract_end=contract_end,
        dp_contact_name=dp_contact_name.strip(),
        dp_contact_email=check_email(dp_contact_email, "dp_contact_email"),
        trust_id=trust.id if trust else None,
        urn=urn,
        la_code=la_code,
        establishment_number=establishment_number,
        internal_target_days=internal_target_days,
        public_authority=authority,
    )
    db.session.add(organisation)
    return organisation


_YES, _NO = frozenset({"yes", "true"}), frozenset({"no", "false"})


def _public_authority(value: bool | str | None, kind: OrgKind) -> bool:
    if isinstance(value, bool):
        return value
    answer = (value or "").strip().lower()
    if not answer:
        return public_authority_by_kind(kind)
    if answer in _YES | _NO:
        return answer in _YES
    raise FieldError("public_authority", f"{value!r} is not yes, no, true or false")


def covers(organisation_id: uuid.UUID | ColumnElement[uuid.UUID]) -> ColumnElement[bool]:
    """The rule as SQL, for a statement of its own or for a column of another
    statement: an organisation covers itself and, for a trust, every school
    in it."""
    return or_(Organisation.id == organisation_id, Organisation.trust_id == organisation_id)


def covered_organisation_ids(organisation_id: uuid.UUID) -> list[uuid.UUID]:
    """The organisation itself and, for a trust, every school in it."""
    return list(db.session.scalars(select(Organisation.id).where(covers(organisation_id))))


def covered_ids_column(organisation_id: ColumnElement[uuid.UUID]) -> ColumnElement[str | None]:
    """``covered_organisation_ids`` as a column of a statement that has the
    organisation's id in ``organisation_id``: the ids joined with commas
    (``parse_covered_ids`` reads them back), so a job that reads a case
    reads what it covers in the same round trip."""
    return (
        select(func.aggregate_strings(cast(Organisation.id, String), ","))
        .where(covers(organisation_id))
        .scalar_subquery()
    )


def parse_covered_ids(joined: str | None) -> frozenset[uuid.UUID]:
    return frozenset(uuid.UUID(value) for value in joined.split(",")) if joined else frozenset()
