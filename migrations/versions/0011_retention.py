"""retention schedule, setup imports and legal holds

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 09:00:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

- ``retention_rules``: the retention schedule of the privacy policy as data,
  seeded below (frozen here, as a migration must not import app code). The
  sweeper in ``app.rights.retention`` knows each code; the period, action and
  ``enabled`` flag are read from these rows.
- ``setup_imports``: files of pupil data sent for processing (e.g. at initial
  set-up), kept sealed until one year after processing.
- ``legal_holds``: records the sweeper must leave alone while a hold is active.
"""

import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# (code, store, period count, period unit, action, description)
_RULES = [
    ("correspondence_after_contract", "correspondence", 3, "years", "delete",
     "Messages about named people are deleted three years after the organisation's contract ends, "
     "so complaints can still be handled and a renewed service restored meanwhile."),
    ("helpdesk_after_contract", "helpdesk", 3, "years", "delete",
     "Support tickets, chat transcripts and summary emails are correspondence about named people too: "
     "deleted three years after the organisation's contract ends."),
    ("contacts_after_pupils", "contacts", 6, "months", "delete",
     "Parents, carers and other named contacts are deleted six months after their pupil leaves or the "
     "organisation's contract ends; a contact shared by several pupils goes six months after the last "
     "of them leaves."),
    ("pupils_after_contract", "pupils", 2, "years", "anonymise",
     "Pupil records are anonymised two years after the organisation's contract ends (sooner if the "
     "organisation asks)."),
    ("pupils_leavers", "pupils", 2, "academic_years", "anonymise",
     "A pupil who has left is anonymised at the end of the second full academic year (on 31 August) "
     "after the academic year in which they left."),
    ("employees_leavers", "employees", 1, "months", "anonymise",
     "A member of staff is anonymised one month after leaving: the name stays for historical reports, "
     "every other detail is removed."),
    ("setup_after_processing", "setup_imports", 1, "years", "delete",
     "Data sent for processing, such as the files of the initial set-up, is deleted one year after it "
     "was processed, to help customer service and settle disputes meanwhile."),
]


def upgrade():
    rules = op.create_table(
        "retention_rules",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("store", sa.String(length=40), nullable=False),
        sa.Column("period_count", sa.Integer(), nullable=False),
        sa.Column(
            "period_unit",
            sa.Enum("months", "years", "academic_years", name="retention_period_unit", native_enum=False,
                    length=20),
            nullable=False,
        ),
        sa.Column(
            "action",
            sa.Enum("delete", "anonymise", name="retention_action", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("period_count > 0", name=op.f("ck_retention_rules_period_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_rules")),
        sa.UniqueConstraint("code", name=op.f("uq_retention_rules_code")),
    )
    op.bulk_insert(rules, [
        {"id": uuid.uuid4(), "code": code, "store": store, "period_count": count, "period_unit": unit,
         "action": action, "description": description, "enabled": True}
        for code, store, count, unit, action, description in _RULES
    ])

    op.create_table(
        "setup_imports",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "processed_at IS NULL OR processed_at >= received_at",
            name=op.f("ck_setup_imports_processed_after_received"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_setup_imports_organisation_id_organisations"), ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setup_imports")),
    )
    with op.batch_alter_table("setup_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_setup_imports_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_setup_imports_processed_at"), ["processed_at"], unique=False)

    op.create_table(
        "legal_holds",
        sa.Column(
            "subject_kind",
            sa.Enum("organisation", "pupil", "contact", "employee", name="hold_subject", native_enum=False,
                    length=20),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.Column("placed_by_id", sa.Uuid(), nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "released_at IS NULL OR released_at >= placed_at",
            name=op.f("ck_legal_holds_released_after_placed"),
        ),
        sa.ForeignKeyConstraint(
            ["placed_by_id"], ["users.id"],
            name=op.f("fk_legal_holds_placed_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index("ix_legal_holds_subject", ["subject_kind", "subject_id"], unique=False)


def downgrade():
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_legal_holds_subject")
    op.drop_table("legal_holds")
    with op.batch_alter_table("setup_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_setup_imports_processed_at"))
        batch_op.drop_index(batch_op.f("ix_setup_imports_organisation_id"))
    op.drop_table("setup_imports")
    op.drop_table("retention_rules")
