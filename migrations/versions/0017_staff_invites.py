"""staff invitations: a first password chosen through an emailed link

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-23 08:30:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

An administrator invites a member of staff: the user row exists at once
(disabled, no usable password) and ``staff_invites`` holds the SHA-256 of
the emailed link's token, its expiry and how it ended (accepted, replaced,
withdrawn, disabled), so a link works once and only the newest one works.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_invites",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("invited_by_id", sa.Uuid(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_staff_invites_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_staff_invites_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invites_token_hash")),
    )
    op.create_index(op.f("ix_staff_invites_user_id"), "staff_invites", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_invites_user_id"), table_name="staff_invites")
    op.drop_table("staff_invites")
