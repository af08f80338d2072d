"""the bases a data portability request was approved on

Revision ID: 0033
Revises: 0032
Create Date: 2026-11-24 20:40:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

What the right to data portability covers follows each category's basis
at the case's controller, which an administrator may change at any time
(migration 0031). A pack built after such a change would no longer match
the review it was approved on: items newly in scope have no decision (the
build fails, and an approved case cannot go back to review) and items
reviewed and disclosed silently drop out. Approval now records the basis
of every category in ``case_bases`` and the pack reads those.

Portability cases approved before this revision have none and keep using
the live bases, as before; going down drops the records.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_bases",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("register_entry_id", sa.Uuid(), nullable=False),
        sa.Column("basis", sa.String(length=30), nullable=False),
        sa.Column("lawful_basis", sa.Text(), nullable=False),
        sa.Column("set_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_bases_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["register_entry_id"],
            ["processing_register.id"],
            name=op.f("fk_case_bases_register_entry_id_processing_register"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["organisations.id"],
            name=op.f("fk_case_bases_set_by_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_bases")),
        sa.UniqueConstraint(
            "case_id", "register_entry_id", name=op.f("uq_case_bases_case_id_register_entry_id")
        ),
    )
    op.create_index(op.f("ix_case_bases_case_id"), "case_bases", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_bases_case_id"), table_name="case_bases")
    op.drop_table("case_bases")
