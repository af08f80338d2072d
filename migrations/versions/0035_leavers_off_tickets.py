"""retention takes a leaver off the support tickets they raised

Revision ID: 0035
Revises: 0034
Create Date: 2026-11-24 21:40:00

Hand-written, so it runs the same on SQLite and PostgreSQL.

The rule ``helpdesk_of_leavers`` joins the schedule (the sweeper,
``app.rights.retention``, knows the code): one month after a member of staff
leaves, when their staff record is anonymised, as their messages are, they
come off the tickets they raised. The ticket keeps no address for them, so
``tickets.requester_email`` and ``ticket_summary_emails.to_email`` may now be
empty. Going down removes the rule and gives an empty address the empty
string, which the older schema requires be there.
"""

import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

_CODE = "helpdesk_of_leavers"
_DESCRIPTION = (
    "One month after a member of staff leaves, when their staff record is anonymised, they come off the "
    "support tickets they raised: their name and address as the requester, their name on what they "
    "wrote, the address of the summaries sent to them and their name and addresses in the text. The "
    "tickets stay as the school's record until the helpdesk's own period ends."
)
# (table, column) that may now be empty.
_ADDRESSES = (("tickets", "requester_email"), ("ticket_summary_emails", "to_email"))


def _rules_table() -> sa.Table:
    return sa.table(
        "retention_rules",
        sa.column("id", sa.Uuid()),
        sa.column("code", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("store", sa.String()),
        sa.column("period_count", sa.Integer()),
        sa.column("period_unit", sa.String()),
        sa.column("action", sa.String()),
        sa.column("enabled", sa.Boolean()),
    )


def upgrade():
    for table, column in _ADDRESSES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=320), nullable=True)
    op.bulk_insert(_rules_table(), [
        {"id": uuid.uuid4(), "code": _CODE, "store": "helpdesk", "period_count": 1, "period_unit": "months",
         "action": "anonymise", "description": _DESCRIPTION, "enabled": True},
    ])  # fmt: skip


def downgrade():
    rules = _rules_table()
    op.execute(rules.delete().where(rules.c.code == _CODE))
    for table, column in _ADDRESSES:
        rows = sa.table(table, sa.column(column, sa.String()))
        op.execute(rows.update().where(rows.c[column].is_(None)).values({column: ""}))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=320), nullable=False)
