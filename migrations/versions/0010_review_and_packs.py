"""review decisions, processing register, response packs and download links

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 01:15:00

Hand-written from the models, so it runs the same on SQLite and PostgreSQL.

- ``review_decisions``: one per collected item of a case, keyed by the
  item's stable key so a re-gather keeps the decisions.
- ``processing_register``: the Art 30 record as data, one entry per source
  and category, seeded below with the facts of the company's privacy and
  support policies (frozen here, as a migration must not import app code).
- ``response_packs`` and ``download_links``: the built pack (two encrypted
  blobs) and the links that deliver it.
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_CONTRACT = (
    "Contract (UK GDPR Art 6(1)(b)): the school, as controller, has us process it to provide the "
    "service it has contracted for."
)
_SPECIAL = (
    "Art 9(2)(j) with Art 89(1) safeguards, for the characteristics that are special category data."
)
_SCHOOL_RECIPIENTS = [
    "The school (the controller) and its authorised staff",
    "The academy trust the school belongs to, only where the school has agreed",
    "The person the data is about, or someone acting for them, in answer to a rights request",
    "Others only where the law requires it",
]
_ORIGIN_SCHOOL = (
    "Provided by the school: entered by its staff or imported from its management information "
    "system with its permission, which it can withdraw at any time."
)
_NO_AUTOMATION = "No decisions with legal or similarly significant effects are made by automated means."
_TRANSFERS = (
    "Held in UK data centres or in the European Economic Area (West Europe); transfers to the EEA "
    "rely on the UK's adequacy regulations. No transfer elsewhere."
)
_BACKUPS = " Backups are kept for 90 days, so deleted data leaves them 90 days later."
_PUPIL_RETENTION = (
    "Kept while the pupil is on roll. Anonymised two academic years after the pupil leaves, or two "
    "years after the school's contract ends, whichever is first (sooner if the school asks). Data "
    "sent for initial set-up is deleted one year after it was processed." + _BACKUPS
)
_PUPIL_PURPOSES = [
    "Monitoring, tracking and reporting pupils' progress and attainment",
    "Providing the school's services, such as messages to parents and SEND documentation",
    "Analysis for the school, such as the progress of vulnerable groups",
]
_SUPPORT_PURPOSES = ["Answering support requests from the school's users, with a record of the help given"]
_CORRESPONDENCE_RETENTION = (
    "Deleted three years after the school's contract ends, so complaints can be handled and a "
    "renewed service restored." + _BACKUPS
)

_REGISTER = [
    ("pupils", "identity", "Pupil identity and contact details",
     "Name, unique pupil number, date of birth, gender, address.",
     _PUPIL_PURPOSES, _SPECIAL, _PUPIL_RETENTION),
    ("pupils", "characteristics", "Pupil characteristics",
     "Ethnicity, first language, free school meal eligibility.",
     _PUPIL_PURPOSES, _SPECIAL, _PUPIL_RETENTION),
    ("pupils", "enrolment", "Enrolment",
     "The school, the dates on and off roll.",
     _PUPIL_PURPOSES, None, _PUPIL_RETENTION),
    ("pupils", "attendance", "Attendance",
     "One mark per morning and afternoon session with its attendance code, and totals.",
     _PUPIL_PURPOSES, None, _PUPIL_RETENTION),
    ("pupils", "assessment", "Assessments",
     "End of key stage and teacher assessments.",
     _PUPIL_PURPOSES, None, _PUPIL_RETENTION),
    ("pupils", "send", "Special educational needs",
     "SEND status, needs and the support provided.",
     _PUPIL_PURPOSES, _SPECIAL, _PUPIL_RETENTION),
    ("contacts", "identity", "Contact details of parents and carers",
     "Name, relationship to the pupil, parental responsibility, email, telephone, address.",
     ["Contacting parents and carers about their child for the school"], None,
     "Deleted six months after the pupil leaves the school or the school's contract ends." + _BACKUPS),
    ("contacts", "pupil_link", "Link between a contact and a pupil",
     "Which pupils a contact is recorded against, with the relationship and priority.",
     ["Contacting parents and carers about their child for the school"], None,
     "Deleted six months after the pupil leaves the school or the school's contract ends." + _BACKUPS),
    ("contacts", "pupil_contacts", "Contacts recorded for a pupil",
     "The parents, carers and other contacts recorded against the pupil.",
     ["Contacting parents and carers about their child for the school"], None,
     "Deleted six months after the pupil leaves the school or the school's contract ends." + _BACKUPS),
    ("employees", "staff_record", "Staff record",
     "Name, gender, contact details, role, teaching status, teacher reference number, start and "
     "leaving dates.",
     ["Letting staff sign in and use the service",
      "The school's own services, such as staff emails and staff names on reports"], None,
     "Anonymised one month after the member of staff leaves; the name alone may be kept where it "
     "appears on historical reports. Other details are deleted after that month." + _BACKUPS),
    ("correspondence", "correspondence", "Correspondence",
     "Messages sent through the service that the person sent, received or is named in.",
     ["Sending the school's messages", "Handling complaints and queries about them"], None,
     _CORRESPONDENCE_RETENTION),
    ("helpdesk", "support_ticket", "Support requests and chat transcripts",
     "Helpdesk tickets, their notes and chat transcripts.",
     _SUPPORT_PURPOSES, None, _CORRESPONDENCE_RETENTION),
    ("helpdesk", "support_email", "Support summary emails",
     "The email summaries of support work sent to the person helped.",
     _SUPPORT_PURPOSES, None, _CORRESPONDENCE_RETENTION),
    ("consent", "consent", "Consent records",
     "Each consent given or withdrawn: purpose, the wording shown, how and when.",
     ["Showing which consents were given or withdrawn, and when (Art 7(1))"], None,
     "Kept for as long as the consent is relied on, then deleted with the person's other data."
     + _BACKUPS),
    ("access_log", "access_log", "Record of access to personal data",
     "Who viewed or changed the person's records, and when.",
     ["Keeping the data secure: spotting and investigating unusual access"], None,
     "Kept for as long as the records it refers to." + _BACKUPS),
    ("access_log", "support_access", "Permissions to look at a record for support",
     "When the person allowed the support team to look at their record, and for how long.",
     ["Asking permission before the support team looks at a user's record"], None,
     "Kept for as long as the records it refers to." + _BACKUPS),
]


def _register_rows():
    now = datetime.now(UTC)
    for source, category, title, description, purposes, special, retention in _REGISTER:
        origin = (
            "Given by the person, or recorded by the support team while helping them."
            if source == "helpdesk"
            else "Recorded by the service as the records are used." if source == "access_log"
            else _ORIGIN_SCHOOL
        )
        yield {
            "id": uuid.uuid4(),
            "source": source,
            "category": category,
            "title": title,
            "description": description,
            "purposes": purposes,
            "lawful_basis": _CONTRACT,
            "special_category_condition": special,
            "recipients": _SCHOOL_RECIPIENTS,
            "retention": retention,
            "origin": origin,
            "automated_decisions": _NO_AUTOMATION,
            "transfers": _TRANSFERS,
            "updated_at": now,
        }


def upgrade():
    register = op.create_table(
        "processing_register",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("lawful_basis", sa.Text(), nullable=False),
        sa.Column("special_category_condition", sa.Text(), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("retention", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("automated_decisions", sa.Text(), nullable=False),
        sa.Column("transfers", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"],
            name=op.f("fk_processing_register_updated_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_register")),
        sa.UniqueConstraint("source", "category", name=op.f("uq_processing_register_source_category")),
    )
    op.bulk_insert(register, list(_register_rows()))

    op.create_table(
        "review_decisions",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("item_key", sa.String(length=200), nullable=False),
        sa.Column("item_digest", sa.String(length=64), nullable=False),
        sa.Column(
            "action",
            sa.Enum("disclose", "withhold", "redact", name="review_action", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column(
            "exemption",
            sa.Enum(
                "third_party", "serious_harm", "child_abuse", "exam_scripts", "confidential_reference",
                "legal_privilege", name="review_exemption", native_enum=False, length=30,
            ),
            nullable=True,
        ),
        sa.Column("redactions", sa.JSON(), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_review_decisions_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"],
            name=op.f("fk_review_decisions_decided_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decisions")),
        sa.UniqueConstraint("case_id", "item_key", name=op.f("uq_review_decisions_case_id_item_key")),
    )

    op.create_table(
        "response_packs",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "building", "ready", "failed", "destroyed", name="pack_status", native_enum=False, length=10
            ),
            nullable=False,
        ),
        sa.Column("pdf_blob_id", sa.Uuid(), nullable=True),
        sa.Column("zip_blob_id", sa.Uuid(), nullable=True),
        sa.Column("pdf_pages", sa.Integer(), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("built_by_id", sa.Uuid(), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("error_code", sa.String(length=80), nullable=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["built_by_id"], ["users.id"], name=op.f("fk_response_packs_built_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_response_packs_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_response_packs_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["pdf_blob_id"], ["blobs.id"], name=op.f("fk_response_packs_pdf_blob_id_blobs"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["zip_blob_id"], ["blobs.id"], name=op.f("fk_response_packs_zip_blob_id_blobs"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_packs")),
        sa.UniqueConstraint("case_id", "version", name=op.f("uq_response_packs_case_id_version")),
    )
    with op.batch_alter_table("response_packs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_response_packs_case_id"), ["case_id"], unique=False)

    op.create_table(
        "download_links",
        sa.Column("pack_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "audience",
            sa.Enum("school", "requester", name="link_audience", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("recipient_email", sa.LargeBinary(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_downloads", sa.Integer(), nullable=False),
        sa.Column("download_count", sa.Integer(), nullable=False),
        sa.Column("failed_code_attempts", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("last_download_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_download_links_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"],
            name=op.f("fk_download_links_created_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pack_id"], ["response_packs.id"],
            name=op.f("fk_download_links_pack_id_response_packs"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"],
            name=op.f("fk_download_links_revoked_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_download_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_download_links_token_hash")),
    )
    with op.batch_alter_table("download_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_download_links_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_download_links_pack_id"), ["pack_id"], unique=False)


def downgrade():
    with op.batch_alter_table("download_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_download_links_pack_id"))
        batch_op.drop_index(batch_op.f("ix_download_links_case_id"))
    op.drop_table("download_links")
    with op.batch_alter_table("response_packs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_packs_case_id"))
    op.drop_table("response_packs")
    op.drop_table("review_decisions")
    op.drop_table("processing_register")
