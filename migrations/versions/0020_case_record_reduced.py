"""a finished case's record is reduced, years after closing, to what accountability needs

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-24 02:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

Years after a case closed (``RIGHTSDESK_CASE_RECORD_RETENTION_YEARS``, 6 by
default), the daily retention task removes from its record everything that
identifies the people in it: names, contact details, the date of birth,
reference numbers, free text and documents (``app.cases.record_retention``).
``cases.record_reduced_at`` says when. The columns that held a value every
case had until then (who asked, about whom, what they asked, the
clarification questions and a restriction's reason) become nullable: None
there means "removed", and only a reduced record has it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_CASE_COLUMNS = ("requester_name", "requester_email", "subject_name", "subject_dob", "description")


def _nullable(table: str, columns: tuple[str, ...], nullable: bool) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.alter_column(column, existing_type=sa.LargeBinary(), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_reduced_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("duplicate_key", existing_type=sa.String(length=64), nullable=True)
    _nullable("cases", _CASE_COLUMNS, True)
    _nullable("case_pauses", ("question",), True)
    _nullable("restrictions", ("reason",), True)


def downgrade() -> None:
    # A reduced record has nothing to put back: it cannot be made whole, so
    # going down refuses rather than inventing values.
    reduced = op.get_bind().execute(sa.text("SELECT count(*) FROM cases WHERE record_reduced_at IS NOT NULL"))
    if reduced.scalar():
        raise RuntimeError("reduced case records exist; their removed details cannot be restored")
    _nullable("restrictions", ("reason",), False)
    _nullable("case_pauses", ("question",), False)
    _nullable("cases", _CASE_COLUMNS, False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.alter_column("duplicate_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("record_reduced_at")
