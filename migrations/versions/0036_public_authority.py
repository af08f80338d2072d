"""an organisation says whether it is a public authority

Revision ID: 0036
Revises: 0035
Create Date: 2026-11-24 22:20:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

UK GDPR Art 6(1), last sentence: legitimate interests (point (f)) do not
apply to processing by public authorities in the performance of their tasks.
State schools, academies and academy trusts are public authorities (FOIA
Sch 1, the definition DPA 2018 s.7 uses); independent schools and private
nurseries are not. ``organisations.public_authority`` records it; the
organisations stored before this revision are taken as the import takes a
row without the column: schools and trusts are, nurseries are not. Going
down drops the column.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable first, so the rows already stored can be given their value
    # before the column is required.
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_authority", sa.Boolean(), nullable=True))
    organisations = sa.table("organisations", sa.column("kind", sa.String()), sa.column("public_authority"))
    op.execute(organisations.update().values(public_authority=organisations.c.kind != "nursery"))
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.alter_column("public_authority", existing_type=sa.Boolean(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("public_authority")
