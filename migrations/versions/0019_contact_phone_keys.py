"""contacts' phone numbers as keys, so a requester's number finds their contact record

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-23 17:20:00

Hand-written from the models. ``mobile_key`` and ``home_key`` hold each
number as ``app.sources.names.phone_key`` normalises it (digits only, a +44
or 0044 prefix turned into the leading 0), indexed for the contacts
source's exact-key lookup. Existing rows are filled in: on PostgreSQL by one
UPDATE doing in SQL what ``phone_key`` does, elsewhere row by row in Python.
"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_NOT_DIGITS = re.compile(r"\D")


def _phone_key(phone):
    # A copy of app.sources.names.phone_key as it was when this ran: a
    # migration must not change if the app's function does later.
    if not phone:
        return None
    digits = _NOT_DIGITS.sub("", phone)
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("44") and len(digits) >= 12:
        digits = digits[2:]
        digits = digits if digits.startswith("0") else "0" + digits
    return digits if 10 <= len(digits) <= 11 and digits.startswith("0") else None


def _sql_key(column: str) -> str:
    digits = f"regexp_replace({column}, '[^0-9]', '', 'g')"
    plain = f"(CASE WHEN {digits} LIKE '00%' THEN substr({digits}, 3) ELSE {digits} END)"
    local = (
        f"(CASE WHEN {plain} LIKE '44%' AND length({plain}) >= 12 THEN "
        f"(CASE WHEN substr({plain}, 3, 1) = '0' THEN substr({plain}, 3) ELSE '0' || substr({plain}, 3) END) "
        f"ELSE {plain} END)"
    )
    return f"(CASE WHEN length({local}) BETWEEN 10 AND 11 AND {local} LIKE '0%' THEN {local} END)"


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mobile_key", sa.String(length=15), nullable=True))
        batch_op.add_column(sa.Column("home_key", sa.String(length=15), nullable=True))
        batch_op.create_index(batch_op.f("ix_contacts_mobile_key"), ["mobile_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_home_key"), ["home_key"], unique=False)

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            f"UPDATE contacts SET mobile_key = {_sql_key('mobile_phone')}, home_key = {_sql_key('home_phone')} "
            "WHERE mobile_phone IS NOT NULL OR home_phone IS NOT NULL"
        )
        return
    contacts = sa.table(
        "contacts", sa.column("id"), sa.column("mobile_phone"), sa.column("home_phone"),
        sa.column("mobile_key"), sa.column("home_key"),
    )  # fmt: skip
    rows = bind.execute(
        sa.select(contacts.c.id, contacts.c.mobile_phone, contacts.c.home_phone).where(
            sa.or_(contacts.c.mobile_phone.is_not(None), contacts.c.home_phone.is_not(None))
        )
    ).all()
    for row in rows:
        bind.execute(
            contacts.update()
            .where(contacts.c.id == row.id)
            .values(mobile_key=_phone_key(row.mobile_phone), home_key=_phone_key(row.home_phone))
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_home_key"))
        batch_op.drop_index(batch_op.f("ix_contacts_mobile_key"))
        batch_op.drop_column("home_key")
        batch_op.drop_column("mobile_key")
