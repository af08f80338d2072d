"""an email about a case knows its case, so the case shows whether its letters were delivered

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-24 02:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

``outbox_messages.case_id`` links a message to the case it is about (the
acknowledgement, the letters, the reminders, the pack's link), so the case
page lists them with their delivery state and one that failed can be sent
again; reducing a case's record deletes them. Messages written before this
have none: nothing in them says which case they were about without opening
them, and guessing from the text is not worth the risk of a wrong link.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_messages_case_id"), ["case_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_case_id_cases"), "cases", ["case_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_messages_case_id_cases"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_messages_case_id"))
        batch_op.drop_column("case_id")
