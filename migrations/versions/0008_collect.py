"""collect: candidate records the DPO confirms, one run per source per case,
and the items collected

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 23:05:00

Hand-written from the models (new tables only), so it runs the same on
SQLite and PostgreSQL. A candidate's summary and an item's title and data
are sealed (``LargeBinary``); ``record_id`` is not a foreign key, since the
record lives in its source's store.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_candidates",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("pupil", "contact", "employee", name="candidate_kind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("about", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.LargeBinary(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "proposed", "confirmed", "rejected", name="candidate_decision", native_enum=False, length=10
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_candidates_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_case_candidates_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_case_candidates_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_candidates")),
        sa.UniqueConstraint(
            "case_id", "source", "record_id", name=op.f("uq_case_candidates_case_id_source_record_id")
        ),
    )
    op.create_index(op.f("ix_case_candidates_case_id"), "case_candidates", ["case_id"], unique=False)

    op.create_table(
        "collected_items",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.LargeBinary(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_collected_items_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collected_items")),
        sa.UniqueConstraint("case_id", "key", name=op.f("uq_collected_items_case_id_key")),
    )
    op.create_index(
        op.f("ix_collected_items_case_id_source"), "collected_items", ["case_id", "source"], unique=False
    )

    op.create_table(
        "source_runs",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued", "running", "done", "failed", name="source_run_status", native_enum=False, length=10
            ),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_code", sa.String(length=80), nullable=True),
        sa.Column("error_message", sa.String(length=300), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_source_runs_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_source_runs_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_runs")),
        sa.UniqueConstraint("case_id", "source", name=op.f("uq_source_runs_case_id_source")),
    )
    op.create_index(op.f("ix_source_runs_case_id"), "source_runs", ["case_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_source_runs_case_id"), table_name="source_runs")

    op.drop_table("source_runs")
    op.drop_index(op.f("ix_collected_items_case_id_source"), table_name="collected_items")

    op.drop_table("collected_items")
    op.drop_index(op.f("ix_case_candidates_case_id"), table_name="case_candidates")

    op.drop_table("case_candidates")
