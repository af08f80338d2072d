"""the processing register says, as data, what the right to data portability covers

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-24 15:10:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

Art 20(1) covers only personal data the person provided, used on consent or
under a contract, by automated means (every category here is). The register
held the lawful basis only as the letters' wording, so nothing could tell a
portability request's data from the rest. Two columns:

- ``basis``: the school's Art 6(1) basis as a code. The seeded wording gave
  one basis for everything, contract (6(1)(b)), but that contract is the
  school's with the company, not one with the person, and Art 20 asks for
  the controller's basis for the person. A school holds pupils', parents'
  and its messages' data for its public task (6(1)(e), with what the law
  makes it record and report), a member of staff's record for their
  employment contract (6(1)(b)), and the consent ledger and the access log
  because the law requires them (Art 7(1) and Art 32: 6(1)(c)). An entry
  whose wording an admin changed keeps a basis read from the 6(1)(x) it
  cites (public task where none); an entry still worded as seeded gets the
  basis above and wording to match. Admins correct both in the register
  (an independent school contracting with parents, say).
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
# The wording 0010 seeded for every entry: the company's contract with the
# school, not the school's basis for the person.
_SEEDED_WORDING = (
    "Contract (UK GDPR Art 6(1)(b)): the school, as controller, has us process it to provide the "
    "service it has contracted for."
)
_HAS_US = " The school has us process it for it under its contract with us."
_SEEDED_BASIS = {
    "employees": "contract",
    "consent": "legal_obligation",
    "access_log": "legal_obligation",
}
_WORDING = {
    "public_task": "Public task (UK GDPR Art 6(1)(e)): the school needs it to carry out its functions as "
    "a school, and the law requires some of it to be recorded and reported (Art 6(1)(c))." + _HAS_US,
    "contract": "Contract (UK GDPR Art 6(1)(b)): the school needs it for the member of staff's "
    "employment contract." + _HAS_US,
    "legal_obligation": "Legal obligation (UK GDPR Art 6(1)(c)): the school must be able to show which "
    "consents were given (Art 7(1)) and keep the data secure (Art 32)." + _HAS_US,
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


def _basis_and_wording(source: str, wording: str) -> tuple[str, str]:
    if wording == _SEEDED_WORDING:
        basis = _SEEDED_BASIS.get(source, "public_task")
        return basis, _WORDING[basis]
    found = _CITATION.search(wording or "")
    return (_BASIS_BY_POINT[found.group(1).lower()] if found else "public_task"), wording


def upgrade() -> None:
    with op.batch_alter_table("processing_register", schema=None) as batch_op:
        batch_op.add_column(sa.Column("basis", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("provided_by_person", sa.Boolean(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_register.c.id, _register.c.source, _register.c.category, _register.c.lawful_basis)
    ).all()
    for entry_id, source, category, wording in rows:
        basis, wording = _basis_and_wording(source, wording)
        connection.execute(
            _register.update()
            .where(_register.c.id == entry_id)
            .values(basis=basis, lawful_basis=wording, provided_by_person=(source, category) in _PROVIDED)
        )
    with op.batch_alter_table("processing_register", schema=None) as batch_op:
        batch_op.alter_column("basis", existing_type=sa.String(length=30), nullable=False)
        batch_op.alter_column("provided_by_person", existing_type=sa.Boolean(), nullable=False)


def downgrade() -> None:
    # The seeded wording goes back with the codes, so 0010's letters read as before.
    connection = op.get_bind()
    connection.execute(
        _register.update()
        .where(_register.c.lawful_basis.in_(list(_WORDING.values())))
        .values(lawful_basis=_SEEDED_WORDING)
    )
    with op.batch_alter_table("processing_register", schema=None) as batch_op:
        batch_op.drop_column("provided_by_person")
        batch_op.drop_column("basis")
