"""cases: requests with their clock inputs, pauses, timeline, reminders sent
and the per-year reference counter

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 21:30:00

Hand-written from the models (new tables only), so it runs the same on
SQLite and PostgreSQL. Personal fields are sealed (``LargeBinary``);
``duplicate_key`` is a keyed hash; ``due_on``/``internal_target_on`` are a
sort cache recomputed by the application with every clock input change.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_reference_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_case_reference_counters")),
    )
    op.create_table(
        "cases",
        sa.Column("reference", sa.String(length=24), nullable=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column(
            "request_type",
            sa.Enum(
                "access",
                "erasure",
                "rectification",
                "restriction",
                "objection",
                "portability",
                "consent_withdrawal",
                name="request_type",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "awaiting_identity",
                "open",
                "gathering",
                "in_review",
                "approved",
                "executing",
                "responded",
                "paused",
                "refused",
                "withdrawn",
                "closed",
                name="case_status",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column(
            "resume_status",
            sa.Enum(
                "submitted",
                "awaiting_identity",
                "open",
                "gathering",
                "in_review",
                "approved",
                "executing",
                "responded",
                "paused",
                "refused",
                "withdrawn",
                "closed",
                name="case_resume_status",
                native_enum=False,
                length=30,
            ),
            nullable=True,
        ),
        sa.Column("requester_name", sa.LargeBinary(), nullable=False),
        sa.Column("requester_email", sa.LargeBinary(), nullable=False),
        sa.Column("requester_phone", sa.LargeBinary(), nullable=True),
        sa.Column(
            "requester_relationship",
            sa.Enum(
                "self",
                "parent_carer",
                "authorised_third_party",
                name="requester_relationship",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("subject_name", sa.LargeBinary(), nullable=False),
        sa.Column("subject_dob", sa.LargeBinary(), nullable=False),
        sa.Column(
            "subject_role",
            sa.Enum(
                "pupil", "parent", "staff", "former_staff", name="subject_role", native_enum=False, length=30
            ),
            nullable=False,
        ),
        sa.Column("subject_upn", sa.LargeBinary(), nullable=True),
        sa.Column("subject_staff_number", sa.LargeBinary(), nullable=True),
        sa.Column("description", sa.LargeBinary(), nullable=False),
        sa.Column("duplicate_key", sa.String(length=64), nullable=False),
        sa.Column("duplicate_of_id", sa.Uuid(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("identity_received_on", sa.Date(), nullable=True),
        sa.Column("authority_received_on", sa.Date(), nullable=True),
        sa.Column("fee_allowed", sa.Boolean(), nullable=False),
        sa.Column("fee_received_on", sa.Date(), nullable=True),
        sa.Column("extended_on", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.LargeBinary(), nullable=True),
        sa.Column("extension_notice_sent_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("internal_target_on", sa.Date(), nullable=True),
        sa.Column(
            "identity_method",
            sa.Enum(
                "documents_seen",
                "known_to_school",
                "matched_school_records",
                name="identity_method",
                native_enum=False,
                length=30,
            ),
            nullable=True,
        ),
        sa.Column("identity_reason", sa.LargeBinary(), nullable=True),
        sa.Column("authority_evidence", sa.LargeBinary(), nullable=True),
        sa.Column("identity_decided_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "refusal_reason",
            sa.Enum(
                "manifestly_unfounded",
                "manifestly_excessive",
                "identity_not_proven",
                name="refusal_reason",
                native_enum=False,
                length=30,
            ),
            nullable=True,
        ),
        sa.Column("refusal_detail", sa.LargeBinary(), nullable=True),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("code_digest", sa.String(length=64), nullable=True),
        sa.Column("code_issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("confirm_token_hash", sa.String(length=64), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status != 'paused' OR resume_status IS NOT NULL", name=op.f("ck_cases_paused_knows_where_back")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_cases_assignee_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["cases.id"],
            name=op.f("fk_cases_duplicate_of_id_cases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["identity_decided_by_id"],
            ["users.id"],
            name=op.f("fk_cases_identity_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_cases_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("confirm_token_hash", name=op.f("uq_cases_confirm_token_hash")),
        sa.UniqueConstraint("reference", name=op.f("uq_cases_reference")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_duplicate_key"), ["duplicate_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index("ix_cases_organisation_id_status", ["organisation_id", "status"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_case_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_pauses",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("asked_by_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("question", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "answered_on IS NULL OR answered_on >= asked_on", name=op.f("ck_case_pauses_answered_after_asked")
        ),
        sa.ForeignKeyConstraint(
            ["asked_by_id"], ["users.id"], name=op.f("fk_case_pauses_asked_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_pauses_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_pauses")),
    )
    with op.batch_alter_table("case_pauses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_pauses_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_reminders",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("threshold", sa.String(length=10), nullable=False),
        sa.Column("target_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_reminders_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_reminders")),
        sa.UniqueConstraint(
            "case_id", "threshold", "target_on", name=op.f("uq_case_reminders_case_id_threshold_target_on")
        ),
    )


def downgrade():
    op.drop_table("case_reminders")
    with op.batch_alter_table("case_pauses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_pauses_case_id"))

    op.drop_table("case_pauses")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_case_id"))

    op.drop_table("case_events")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_organisation_id_status")
        batch_op.drop_index(batch_op.f("ix_cases_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_cases_duplicate_key"))
        batch_op.drop_index(batch_op.f("ix_cases_due_on"))
        batch_op.drop_index(batch_op.f("ix_cases_assignee_id"))

    op.drop_table("cases")
    op.drop_table("case_reference_counters")
