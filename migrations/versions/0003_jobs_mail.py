"""jobs and mail: the Job record of background work, the mail outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 21:30:00

Hand-written. Both tables are new, so this runs the same on SQLite and
PostgreSQL; enums are stored as checked-in-Python strings (native_enum=False)
as elsewhere in the schema, and encrypted columns are plain binary here.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "jobs",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("queue", sa.String(length=40), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("kwargs", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued", "running", "succeeded", "failed", name="job_status", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("progress_message", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rq_job_id", sa.String(length=80), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_name"), "jobs", ["name"], unique=False)
    op.create_index("ix_jobs_status_created_at", "jobs", ["status", "created_at"], unique=False)

    op.create_table(
        "outbox_messages",
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("recipients", sa.LargeBinary(), nullable=False),
        sa.Column("subject", sa.LargeBinary(), nullable=False),
        sa.Column("text_body", sa.LargeBinary(), nullable=False),
        sa.Column("html_body", sa.LargeBinary(), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "sent", "failed", "outbox", name="outbox_status", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_messages_message_id")),
    )
    op.create_index(op.f("ix_outbox_messages_category"), "outbox_messages", ["category"], unique=False)
    op.create_index(
        "ix_outbox_messages_status_created_at", "outbox_messages", ["status", "created_at"], unique=False
    )


def downgrade():
    op.drop_index("ix_outbox_messages_status_created_at", table_name="outbox_messages")
    op.drop_index(op.f("ix_outbox_messages_category"), table_name="outbox_messages")
    op.drop_table("outbox_messages")
    op.drop_index("ix_jobs_status_created_at", table_name="jobs")
    op.drop_index(op.f("ix_jobs_name"), table_name="jobs")
    op.drop_table("jobs")
