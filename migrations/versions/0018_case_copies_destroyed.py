"""a finished case records when the copies of personal data it gathered were destroyed

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-23 17:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

Some weeks after a case is closed or withdrawn, the daily retention task
destroys what the case copied of people's data: the collected items, the
candidates' summaries, the requester's evidence files (crypto-shredded) and
the response packs. ``cases.copies_destroyed_at`` says when, so the task
finds each case once and the console and API can say so.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("copies_destroyed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("copies_destroyed_at")
