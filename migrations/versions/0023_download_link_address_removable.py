"""a download link's address is removed with the rest of a reduced case record

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-24 06:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

Reducing a case record (0020) left the address each response download link
was sent to: for the requester's link, their email. It is now removed with
the rest, so ``download_links.recipient_email`` becomes nullable; None there
means "removed", and only a reduced record has it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def _nullable(nullable: bool) -> None:
    with op.batch_alter_table("download_links", schema=None) as batch_op:
        batch_op.alter_column("recipient_email", existing_type=sa.LargeBinary(), nullable=nullable)


def upgrade() -> None:
    _nullable(True)


def downgrade() -> None:
    removed = op.get_bind().execute(sa.text("SELECT count(*) FROM download_links WHERE recipient_email IS NULL"))
    if removed.scalar():
        raise RuntimeError("download links of reduced case records exist; their addresses cannot be restored")
    _nullable(False)
