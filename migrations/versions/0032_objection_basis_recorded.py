"""an objection keeps the basis its decision rested on

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-25 10:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

Whether the right to object reaches some processing, and what the letter
tells the requester, depends on the Art 6(1) basis the register entry
objected to is used on at the case's organisation, which an administrator
may change later. ``objections.basis`` (the code, a checked VARCHAR(30) as
``organisation_bases.basis``) and ``objections.basis_wording`` (as the
letters quote it; the register's words, not personal data) record it when
the objection is decided. Objections decided before this revision keep
null: their basis is not known now, and the letter reads the current one
for them as it did. Going down drops what was recorded.

Going down is refused while any objection is decided as ``no_right``
(outside the right to object), which came with this revision: the code
before it cannot load that decision. It is not mapped to another, as none
is true: ``rejected`` would claim compelling grounds that were never given,
and ``pending`` would undo a decision the requester has been sent and offer
it to be decided again.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("basis", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("basis_wording", sa.Text(), nullable=True))


def downgrade() -> None:
    outside = op.get_bind().scalar(sa.text("SELECT count(*) FROM objections WHERE decision = 'no_right'"))
    if outside:
        # RuntimeError: ``flask db downgrade`` prints the message and exits 1.
        raise RuntimeError(
            f"Cannot go below revision 0032: {outside} objection(s) are decided as 'no_right' (outside the "
            "right to object), which the code before it cannot load, and no other decision says what was "
            "decided. Stay on revision 0032 or later."
        )
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_column("basis_wording")
        batch_op.drop_column("basis")
