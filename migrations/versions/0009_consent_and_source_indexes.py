"""consent ledger, and the pupils index identity search needs

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 23:10:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

- ``consent_records``: the append-only consent ledger (DESIGN §9).
- ``ix_pupils_org_dob`` on pupils (organisation_id, date_of_birth): identity
  search fetches everyone born on the given day within the organisations and
  scores typos, preferred and swapped names among those few rows.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "consent_records",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column(
            "person_kind",
            sa.Enum("pupil", "contact", "employee", name="person_kind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column(
            "decision",
            sa.Enum("granted", "withdrawn", name="consent_decision", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("wording_version", sa.String(length=40), nullable=False),
        sa.Column("wording_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "method",
            sa.Enum("web", "paper_signature", "verbal", name="consent_method", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "length(wording_sha256) = 64", name=op.f("ck_consent_records_wording_sha256_length")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_consent_records_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_records_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            "ix_consent_records_person", ["person_kind", "person_id", "recorded_at"], unique=False
        )
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.create_index("ix_pupils_org_dob", ["organisation_id", "date_of_birth"], unique=False)


def downgrade():
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.drop_index("ix_pupils_org_dob")
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_records_person")
        batch_op.drop_index(batch_op.f("ix_consent_records_organisation_id"))
    op.drop_table("consent_records")
