"""a portability request's response can go to another organisation (Art 20(2))

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-24 16:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

A download link may now go to the organisation a portability requester
named (audience ``controller``; ``download_links.audience`` is a checked
VARCHAR(10) with no constraint in the database, so the value fits as it
is). That organisation's name is on no case, so the link keeps it:
``download_links.recipient_name``, sealed like the address and removed
with it when the case record is reduced. The other audiences' links have
none (null).

Going down refuses while such links exist: the code before this revision
cannot read their audience.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("download_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient_name", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    sent = op.get_bind().execute(sa.text("SELECT count(*) FROM download_links WHERE audience = 'controller'"))
    if sent.scalar():
        raise RuntimeError("links to other organisations exist; the code before this revision cannot read them")
    with op.batch_alter_table("download_links", schema=None) as batch_op:
        batch_op.drop_column("recipient_name")
