"""restriction, objection, Art 19 recipient notices and support-access grants

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 09:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

- ``recipient_notices``: one per case, change and recipient (Art 19).
- ``restrictions``: a confirmed person record kept in storage only (Art 18),
  with the legal hold that keeps the sweeper and erasure away from it.
- ``objections``: the processing objected to and the decision (Art 21).
- ``support_access_grants`` gains the purpose, the support account it was
  given to and the users who granted and revoked it; ``access_log`` rows
  name the grant a support view used.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _enum(name: str, length: int, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL"
    )


def _case_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["case_id"], ["cases.id"], name=op.f(f"fk_{table}_case_id_cases"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "recipient_notices",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "change",
            _enum("recipient_change", 20, "rectification", "erasure", "restriction", "restriction_lifted"),
            nullable=False,
        ),
        sa.Column(
            "recipient_kind", _enum("recipient_kind", 20, "controller", "trust", "register"), nullable=False
        ),
        sa.Column("recipient_name", sa.String(length=300), nullable=False),
        sa.Column("channel", _enum("recipient_channel", 10, "email", "school"), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("status", _enum("recipient_notice_status", 10, "sent", "pending"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outbox_message_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _case_fk("recipient_notices"),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_recipient_notices_outbox_message_id_outbox_messages"),
            ondelete="SET NULL",
        ),
        _user_fk("recipient_notices", "created_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_notices")),
        sa.UniqueConstraint(
            "case_id", "change", "recipient_kind", "recipient_name", name="uq_recipient_notices_once"
        ),
    )
    op.create_index(op.f("ix_recipient_notices_case_id"), "recipient_notices", ["case_id"], unique=False)

    op.create_table(
        "restrictions",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column(
            "person_kind",
            _enum("restriction_person_kind", 10, "pupil", "contact", "employee"),
            nullable=False,
        ),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by_id", sa.Uuid(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_reason", sa.LargeBinary(), nullable=True),
        sa.Column("lifted_by_id", sa.Uuid(), nullable=True),
        sa.Column("hold_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _case_fk("restrictions"),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["legal_holds.id"],
            name=op.f("fk_restrictions_hold_id_legal_holds"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_restrictions_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        _user_fk("restrictions", "started_by_id"),
        _user_fk("restrictions", "lifted_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restrictions")),
    )
    op.create_index(op.f("ix_restrictions_case_id"), "restrictions", ["case_id"], unique=False)
    op.create_index(
        "ix_restrictions_person", "restrictions", ["person_kind", "person_id", "lifted_at"], unique=False
    )

    op.create_table(
        "objections",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("register_entry_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=300), nullable=False),
        sa.Column("consent_purpose", sa.String(length=60), nullable=True),
        sa.Column("direct_marketing", sa.Boolean(), nullable=False),
        sa.Column(
            "decision", _enum("objection_decision", 10, "pending", "upheld", "rejected"), nullable=False
        ),
        sa.Column("grounds", sa.LargeBinary(), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _case_fk("objections"),
        sa.ForeignKeyConstraint(
            ["register_entry_id"],
            ["processing_register.id"],
            name=op.f("fk_objections_register_entry_id_processing_register"),
            ondelete="SET NULL",
        ),
        _user_fk("objections", "decided_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    op.create_index(op.f("ix_objections_case_id"), "objections", ["case_id"], unique=False)

    with op.batch_alter_table("support_access_grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("granted_by_user_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("revoked_by_user_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("agent_user_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_support_access_grants_agent_user_id_users"),
            "users",
            ["agent_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_support_access_grants_agent_user_id"), ["agent_user_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_support_access_grants_granted_by_user_id_users"),
            "users",
            ["granted_by_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_support_access_grants_revoked_by_user_id_users"),
            "users",
            ["revoked_by_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_support_access_grants_granted_by_user_id"), ["granted_by_user_id"], unique=False
        )

    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grant_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_access_log_grant_id_support_access_grants"),
            "support_access_grants",
            ["grant_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_access_log_grant_id"), ["grant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_log_grant_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_access_log_grant_id_support_access_grants"), type_="foreignkey"
        )
        batch_op.drop_column("grant_id")

    with op.batch_alter_table("support_access_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_access_grants_agent_user_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_support_access_grants_agent_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("agent_user_id")
        batch_op.drop_index(batch_op.f("ix_support_access_grants_granted_by_user_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_support_access_grants_revoked_by_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_support_access_grants_granted_by_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("revoked_by_user_id")
        batch_op.drop_column("granted_by_user_id")
        batch_op.drop_column("purpose")

    op.drop_index(op.f("ix_objections_case_id"), table_name="objections")
    op.drop_table("objections")
    op.drop_index("ix_restrictions_person", table_name="restrictions")
    op.drop_index(op.f("ix_restrictions_case_id"), table_name="restrictions")
    op.drop_table("restrictions")
    op.drop_index(op.f("ix_recipient_notices_case_id"), table_name="recipient_notices")
    op.drop_table("recipient_notices")
