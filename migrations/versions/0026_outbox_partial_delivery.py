"""an email records which recipients the server accepted, and the attempts cut off in a row

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-24 10:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

``outbox_messages.delivered_to`` (sealed, like ``recipients``) holds the
recipients a mail server accepted when it refused others, so the email is
sent again only to those refused; null until that happens, as for every
message written before this. ``outbox_messages.unfinished_attempts`` counts
the delivery attempts in a row that were claimed and never finished (the
worker stopped), so a message whose worker keeps dying is given up after a
few; messages already stored start at 0.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivered_to", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("unfinished_attempts", sa.Integer(), nullable=False, server_default="0")
        )
    # The application writes the value itself (the model's default), as for
    # ``attempts``; the server default only filled in the rows already there.
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column("unfinished_attempts", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("unfinished_attempts")
        batch_op.drop_column("delivered_to")
