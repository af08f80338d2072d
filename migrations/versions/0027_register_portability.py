"""the processing register says, as data, what the right to data portability covers

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-24 15:10:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

Art 20(1) covers only personal data the person provided, used on consent or
under a contract, by automated means (every category here is). The register
held the lawful basis only as the letters' wording, so nothing could tell a
portability request's data from the rest. Two columns:

- ``basis``: the Art 6(1) basis as a code. Filled from the wording where it
  cites Article 6(1)(a)-(f) (the seeded entries cite 6(1)(b), the company's
  stated basis); an entry citing none is taken as contract, the basis the
  company's privacy policy gives for all of it. Admins correct it in the
  register.
- ``provided_by_person``: whether the person gave the data themself. For
  the seeded categories: a pupil's identity details and characteristics
  (given by the family on admission and in the census), a contact's own
  details and links to their children, a member of staff's record, the
  correspondence (the messages the person sent; the rule for a message is
  in ``app.portability.scope``), support tickets and chats, and consent
  records. Not given by the person: enrolment, attendance, assessments and
  SEND (recorded by the school), the contacts listed on a pupil's record
  (other people's details), the support team's summary emails, and the
  access log and support permissions (recorded by the service).
"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_BASIS_BY_POINT = {
    "a": "consent",
    "b": "contract",
    "c": "legal_obligation",
    "d": "vital_interests",
    "e": "public_task",
    "f": "legitimate_interests",
}
_CITATION = re.compile(r"6\s*\(\s*1\s*\)\s*\(\s*([a-f])\s*\)", re.IGNORECASE)
_PROVIDED = {
    ("pupils", "identity"),
    ("pupils", "characteristics"),
    ("contacts", "identity"),
    ("contacts", "pupil_link"),
    ("employees", "staff_record"),
    ("correspondence", "correspondence"),
    ("helpdesk", "support_ticket"),
    ("consent", "consent"),
}

_register = sa.table(
    "processing_register",
    sa.column("id", sa.Uuid()),
    sa.column("source", sa.String()),
    sa.column("category", sa.String()),
    sa.column("lawful_basis", sa.Text()),
    sa.column("basis", sa.String()),
    sa.column("provided_by_person", sa.Boolean()),
)


def _basis_of(wording: str) -> str:
    found = _CITATION.search(wording or "")
    return _BASIS_BY_POINT[found.group(1).lower()] if found else "contract"


def upgrade() -> None:
    with op.batch_alter_table("processing_register", schema=None) as batch_op:
        batch_op.add_column(sa.Column("basis", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("provided_by_person", sa.Boolean(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_register.c.id, _register.c.source, _register.c.category, _register.c.lawful_basis)
    ).all()
    for entry_id, source, category, wording in rows:
        connection.execute(
            _register.update()
            .where(_register.c.id == entry_id)
            .values(basis=_basis_of(wording), provided_by_person=(source, category) in _PROVIDED)
        )
    with op.batch_alter_table("processing_register", schema=None) as batch_op:
        batch_op.alter_column("basis", existing_type=sa.String(length=30), nullable=False)
        batch_op.alter_column("provided_by_person", existing_type=sa.Boolean(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("processing_register", schema=None) as batch_op:
        batch_op.drop_column("provided_by_person")
        batch_op.drop_column("basis")
