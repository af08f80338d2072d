"""an email to a member of staff knows its account, so the Staff page shows whether it was delivered

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-24 05:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

``outbox_messages.user_id`` links an invitation or a password-reset email
to the staff account it was sent to, so administrators see one the mail
server refused (the Staff page and the console's home) and can send a new
invitation. Messages written before this have none: which account they
went to is only in their sealed addresses, and they are not opened to find
out.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_messages_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_user_id_users"), "users", ["user_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_messages_user_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_messages_user_id"))
        batch_op.drop_column("user_id")
