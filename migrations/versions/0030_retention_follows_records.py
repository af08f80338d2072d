"""the retention schedule covers a leaver's messages and the access log

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-24 16:00:00

Hand-written, so it runs the same on SQLite and PostgreSQL.

Three rules join the schedule (the sweeper, ``app.rights.retention``, knows
each code):

- ``correspondence_of_leavers``: one month after a member of staff leaves,
  when their staff record is anonymised, they come off the messages kept
  for others (name and address as sender, recipient rows, tags, their name
  in the text).
- ``access_log_after_records``: the access log is kept for as long as the
  records it refers to, so its entries about a record go when the record is
  deleted or anonymised.
- ``support_access_after_records``: so are the permissions a member of
  staff gave the support team, once no entry kept was made under them.

The access-log rules follow another record's end with no time of their own:
their period is zero, which ``period_count`` may now be (it had to be
positive).
"""

import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

# (code, store, period count, period unit, action, description)
_RULES = [
    ("correspondence_of_leavers", "correspondence", 1, "months", "anonymise",
     "One month after a member of staff leaves, when their staff record is anonymised, they come off "
     "the messages kept for the others in them: their name and address as sender or recipient, their "
     "tags and their name where the text gives it in full."),
    ("access_log_after_records", "access_log", 0, "months", "delete",
     "The record of who viewed or changed a person's records is kept as long as those records: its "
     "entries go when the record they are about is deleted or anonymised. Entries naming a former "
     "member of staff as the one who opened other people's records stay as long as those records."),
    ("support_access_after_records", "access_log", 0, "months", "delete",
     "A permission a member of staff gave the support team to look at their record goes when their "
     "staff record is anonymised, once no access-log entry still kept was made under it."),
]
_CODES = [rule[0] for rule in _RULES]


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
    with op.batch_alter_table("retention_rules", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_retention_rules_period_positive"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_retention_rules_period_not_negative"), "period_count >= 0"
        )
    op.bulk_insert(_rules_table(), [
        {"id": uuid.uuid4(), "code": code, "store": store, "period_count": count, "period_unit": unit,
         "action": action, "description": description, "enabled": True}
        for code, store, count, unit, action, description in _RULES
    ])  # fmt: skip


def downgrade():
    rules = _rules_table()
    op.execute(rules.delete().where(rules.c.code.in_(_CODES)))
    # Any other rule an admin set to zero could not stay under the old check.
    op.execute(rules.update().where(rules.c.period_count < 1).values(period_count=1))
    with op.batch_alter_table("retention_rules", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_retention_rules_period_not_negative"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_retention_rules_period_positive"), "period_count > 0")
