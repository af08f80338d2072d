"""a portability request keeps the organisation the requester wants the data sent to

Revision ID: 0034
Revises: 0033
Create Date: 2026-11-24 21:30:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

The request form and the API now ask a data portability requester where
the data should go (UK GDPR Art 20(2)): an organisation's name and its
email address, both optional. ``cases.destination_name`` and
``cases.destination_email`` hold them sealed with the keyring, like the
requester's own details (the address may be a person's). Cases made before
this revision have none: the DPO typed the destination in the console, as
before. Going down drops what requesters gave.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("destination_name", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("destination_email", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("destination_email")
        batch_op.drop_column("destination_name")
