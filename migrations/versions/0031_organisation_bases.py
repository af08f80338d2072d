"""an organisation's own lawful basis for a register category

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-24 20:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

The processing register is one list for every customer, and migration 0027
seeded it with a state school's bases (public task for pupils' and
parents' data). A private nursery or an independent school is no public
authority: it holds the parents' own details under its contract with them
(which the right to data portability covers) and the child's record on
another basis, such as its legitimate interests. ``organisation_bases``
records the basis (the code the rules read and the wording the letters
quote) an organisation, or a trust for all its schools, set for one
category. No row means the register's basis, so nothing changes for data
already stored; going down drops what was set.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_bases",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("register_entry_id", sa.Uuid(), nullable=False),
        sa.Column("basis", sa.String(length=30), nullable=False),
        sa.Column("lawful_basis", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_bases_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["register_entry_id"],
            ["processing_register.id"],
            name=op.f("fk_organisation_bases_register_entry_id_processing_register"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_organisation_bases_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_bases")),
        sa.UniqueConstraint(
            "organisation_id",
            "register_entry_id",
            name=op.f("uq_organisation_bases_organisation_id_register_entry_id"),
        ),
    )
    op.create_index(
        op.f("ix_organisation_bases_organisation_id"), "organisation_bases", ["organisation_id"], unique=False
    )
    op.create_index(
        op.f("ix_organisation_bases_register_entry_id"),
        "organisation_bases",
        ["register_entry_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_organisation_bases_register_entry_id"), table_name="organisation_bases")
    op.drop_index(op.f("ix_organisation_bases_organisation_id"), table_name="organisation_bases")
    op.drop_table("organisation_bases")
