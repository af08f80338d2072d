"""a restriction's lift is scheduled, and the subject told, before it happens

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-23 09:30:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

Art 18(3) UK GDPR: the subject is informed before a restriction is lifted.
``restrictions`` gains the day the lift takes effect, when the requester was
told, the (sealed) reason given and who scheduled it; the daily task lifts a
row on that day only if its requester was told.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("restrictions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lift_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("lift_notified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lift_reason", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("lift_scheduled_by_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_restrictions_lift_scheduled_by_id_users"),
            "users",
            ["lift_scheduled_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_restrictions_lift_on", ["lift_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("restrictions", schema=None) as batch_op:
        batch_op.drop_index("ix_restrictions_lift_on")
        batch_op.drop_constraint(batch_op.f("fk_restrictions_lift_scheduled_by_id_users"), type_="foreignkey")
        batch_op.drop_column("lift_scheduled_by_id")
        batch_op.drop_column("lift_reason")
        batch_op.drop_column("lift_notified_at")
        batch_op.drop_column("lift_on")
