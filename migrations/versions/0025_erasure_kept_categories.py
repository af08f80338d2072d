"""the DPO can keep whole categories out of an erasure plan

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-24 08:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

An erasure request may ask for less than everything (only the photographs,
only the support tickets), and Art 17(3) lets the controller keep some
records. ``erasure_plans.kept_categories`` holds the DPO's decisions: for a
category ("source:category") the ground it is kept on, a code only. It
survives a rebuild of the draft plan. Existing plans have none (null).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("erasure_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kept_categories", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("erasure_plans", schema=None) as batch_op:
        batch_op.drop_column("kept_categories")
