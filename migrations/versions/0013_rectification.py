"""rectification proposals and confirmation letters

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 09:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

- ``rectification_letters``: each confirmation letter sent, an encrypted blob.
- ``rectification_proposals``: one per (case, record kind and id, field),
  the before and proposed values and the decision's reason sealed.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rectification_letters",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("blob_id", sa.Uuid(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("built_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_id"], ["blobs.id"],
            name=op.f("fk_rectification_letters_blob_id_blobs"), ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["built_by_id"], ["users.id"],
            name=op.f("fk_rectification_letters_built_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_rectification_letters_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_letters")),
        sa.UniqueConstraint("case_id", "version", name=op.f("uq_rectification_letters_case_id_version")),
    )
    op.create_table(
        "rectification_proposals",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("pupil", "contact", "employee", name="rectification_kind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("before_value", sa.LargeBinary(), nullable=True),
        sa.Column("proposed_value", sa.LargeBinary(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "proposed", "approved", "refused", "applied", "stale",
                name="rectification_status", native_enum=False, length=10,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.LargeBinary(), nullable=True),
        sa.Column("proposed_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("letter_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"],
            name=op.f("fk_rectification_proposals_case_id_cases"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"],
            name=op.f("fk_rectification_proposals_decided_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["rectification_letters.id"],
            name=op.f("fk_rectification_proposals_letter_id_rectification_letters"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"],
            name=op.f("fk_rectification_proposals_proposed_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_proposals")),
        sa.UniqueConstraint(
            "case_id", "kind", "record_id", "field",
            name=op.f("uq_rectification_proposals_case_id_kind_record_id_field"),
        ),
    )
    with op.batch_alter_table("rectification_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rectification_proposals_case_id"), ["case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rectification_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_proposals_case_id"))
    op.drop_table("rectification_proposals")
    op.drop_table("rectification_letters")
