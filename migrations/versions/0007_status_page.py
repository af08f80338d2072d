"""status page: private status links, evidence files, clarification answers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 23:20:00

Hand-written. ``case_status_links`` keeps only the SHA-256 of each link's
token. ``case_evidence`` points at an encrypted blob (RESTRICT: a blob is
crypto-shredded on purpose, never deleted from under its case). The
clarification answer is sealed like the question.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_status_links",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_status_links_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_status_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_case_status_links_token_hash")),
    )
    with op.batch_alter_table("case_status_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_status_links_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_evidence",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("identity", "authority", name="evidence_kind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("blob_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.LargeBinary(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_id"], ["blobs.id"], name=op.f("fk_case_evidence_blob_id_blobs"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_evidence_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_case_evidence_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_evidence")),
    )
    with op.batch_alter_table("case_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_evidence_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_evidence_blob_id"), ["blob_id"], unique=False)

    with op.batch_alter_table("case_pauses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("case_pauses", schema=None) as batch_op:
        batch_op.drop_column("answer")
    op.drop_table("case_evidence")
    op.drop_table("case_status_links")
