"""erasure plans, steps and certificates

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 09:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

- ``erasure_plans``: one per erasure case: status, approval (who, when),
  execution times, the erasure and backup age-out dates, the certificate blob.
- ``erasure_steps``: one per store, category and action, with the reason for
  anything kept and its state (planned, done) set with the work it records.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasure_plans",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "approved",
                "executing",
                "done",
                name="erasure_plan_status",
                native_enum=False,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_by_id", sa.Uuid(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_on", sa.Date(), nullable=True),
        sa.Column("backups_expire_on", sa.Date(), nullable=True),
        sa.Column("certificate_blob_id", sa.Uuid(), nullable=True),
        sa.Column("certificate_pages", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_erasure_plans_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["built_by_id"],
            ["users.id"],
            name=op.f("fk_erasure_plans_built_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_erasure_plans_approved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["certificate_blob_id"],
            ["blobs.id"],
            name=op.f("fk_erasure_plans_certificate_blob_id_blobs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_plans")),
        sa.UniqueConstraint("case_id", name=op.f("uq_erasure_plans_case_id")),
    )
    op.create_table(
        "erasure_steps",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "delete",
                "anonymise",
                "keep_name",
                "keep",
                name="erasure_step_action",
                native_enum=False,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("organisation_ids", sa.JSON(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("record_ids", sa.JSON(), nullable=True),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=400), nullable=True),
        sa.Column("hold_id", sa.Uuid(), nullable=True),
        sa.Column(
            "state",
            sa.Enum("planned", "done", name="erasure_step_state", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("affected_count", sa.Integer(), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["erasure_plans.id"],
            name=op.f("fk_erasure_steps_plan_id_erasure_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_erasure_steps_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_steps")),
        sa.UniqueConstraint("plan_id", "position", name=op.f("uq_erasure_steps_plan_id_position")),
    )
    with op.batch_alter_table("erasure_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_steps_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("erasure_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasure_steps_plan_id"))
    op.drop_table("erasure_steps")
    op.drop_table("erasure_plans")
