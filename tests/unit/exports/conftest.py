"""Packs built in memory for the PDF tests: no database, no app.

Items are shaped as the sources shape them (attendance through the real
``year_summaries`` on unsaved ``AttendanceWeek`` rows), and register facts
follow the seeded processing register, so the PDF is tested on what it will
really be given.
"""

from __future__ import annotations

import io
import unicodedata
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from app.exports.content import (
    CategorySection,
    PackContent,
    PackItem,
    RegisterFacts,
    ScheduleRow,
    SearchedSource,
)
from app.exports.pdf import AssetFetcher, RenderedPdf, render_pack_pdf
from app.review.exemptions import EXEMPTIONS, Exemption
from app.review.models import Action
from app.review.redaction import apply_redactions
from app.sources.pupils.models import AttendanceWeek, Session, encode_week
from app.sources.pupils.register import year_summaries

REFERENCE = "SAR-2026-000417"
PUPIL_ID = uuid.UUID("7d1c1f7e-2f0a-4c55-9d7e-3a4c6b9e0a11")

RECIPIENTS = [
    "The school (the controller) and its authorised staff",
    "Others only where the law requires it",
]
TRANSFERS = "Held in UK data centres; transfers to the EEA rely on the UK's adequacy regulations."
NO_AUTOMATION = "No decisions with legal or similarly significant effects are made by automated means."


def facts(title: str, **overrides: Any) -> RegisterFacts:
    values: dict[str, Any] = {
        "title": title,
        "description": f"{title}: what the school records.",
        "purposes": ["Monitoring, tracking and reporting pupils' progress and attainment"],
        "lawful_basis": "Contract (UK GDPR Art 6(1)(b))",
        "special_category_condition": None,
        "recipients": RECIPIENTS,
        "retention": "Anonymised two academic years after the pupil leaves.",
        "origin": "Provided by the school from its management information system.",
        "automated_decisions": NO_AUTOMATION,
        "transfers": TRANSFERS,
    }
    values.update(overrides)
    return RegisterFacts(**values)


def attendance_items(years: int, first_year: int = 2019) -> list[PackItem]:
    """Full school years of marks, as ``PupilSource.collect`` yields them."""
    weeks = []
    for offset in range(years):
        start = date(first_year + offset, 9, 2)
        start -= timedelta(days=start.weekday())
        for n in range(39):
            monday = start + timedelta(weeks=n)
            marks = {}
            for day in range(5):
                code_am, code_pm = "/", "\\"
                if (n + day) % 17 == 0:
                    code_am = code_pm = "I"
                elif (n * 5 + day) % 29 == 0:
                    code_am = "M"
                elif (n + day) % 23 == 0:
                    code_am = "L"
                marks[(day, Session.AM)] = code_am
                marks[(day, Session.PM)] = code_pm
            weeks.append(AttendanceWeek(pupil_id=PUPIL_ID, week_start=monday, slots=encode_week(marks)))
    items = []
    for year, summary in year_summaries(weeks).items():
        items.append(
            PackItem(
                key=f"attendance:{PUPIL_ID}:{year}",
                source="pupils",
                category="attendance",
                title=f"Attendance {year}",
                occurred_on=date.fromisoformat(summary["weeks"][0]["week_start"]),
                data={"pupil_id": str(PUPIL_ID), **summary},
                redacted=False,
            )
        )
    return items


def message_item(n: int, body: str, subject: str | None = None, *, redacted: bool = False) -> PackItem:
    sent = datetime(2024, 10, 1, 9, 30, tzinfo=UTC) + timedelta(days=n)
    message_id = uuid.UUID(int=1000 + n)
    return PackItem(
        key=f"message:{message_id}",
        source="correspondence",
        category="correspondence",
        title=subject or f"Message {n}",
        occurred_on=sent.date(),
        data={
            "message_id": str(message_id),
            "sent_at": sent.isoformat(),
            "channel": "email",
            "sender_name": "Mrs Head",
            "sender_email": "head@oakhill.example",
            "subject": subject or f"Message {n}",
            "body": body,
            "recipients": [{"kind": "to", "name": "Sam Parent", "email": "sam@example.com"}],
            "people_tagged": [{"kind": "pupil", "id": str(PUPIL_ID), "name": "Amelia Parent"}],
            "subject_is": ["recipient", "named"],
        },
        redacted=redacted,
    )


def build_pack(
    *,
    attendance_years: int = 2,
    messages: list[PackItem] | None = None,
    schedule: list[ScheduleRow] | None = None,
    requester_name: str = "Sam Parent",
    subject_name: str = "Amelia Parent",
    extra_sections: list[CategorySection] | None = None,
) -> PackContent:
    identity = PackItem(
        key=f"pupil:{PUPIL_ID}:identity",
        source="pupils",
        category="identity",
        title="Pupil record: identity",
        occurred_on=None,
        data={
            "pupil_id": str(PUPIL_ID),
            "school": "Oak Hill Primary School",
            "upn": "A123456789012",
            "legal_forename": "Amelia",
            "legal_surname": "Parent",
            "date_of_birth": "2014-05-17",
            "gender": "F",
            "postcode": "OX1 1AA",
            "anonymised_at": None,
        },
        redacted=False,
    )
    assessments = PackItem(
        key=f"assessments:{PUPIL_ID}:2023/2024",
        source="pupils",
        category="assessment",
        title="Assessments 2023/2024",
        occurred_on=date(2023, 12, 1),
        data={
            "pupil_id": str(PUPIL_ID),
            "academic_year": "2023/2024",
            "assessments": [
                {
                    "key_stage": "KS2",
                    "subject": subject,
                    "method": "teacher assessment",
                    "result": "Expected standard",
                    "assessed_on": f"2024-0{term}-15",
                    "recorded_by": "Mr Class Teacher",
                }
                for term in (3, 6)
                for subject in ("Reading", "Writing", "Mathematics")
            ],
        },
        redacted=False,
    )
    messages = messages if messages is not None else [message_item(1, "Dear Sam,\nAmelia was a star today.")]
    sections = [
        CategorySection("pupils", "identity", facts("Pupil identity and contact details"), [identity]),
        CategorySection("pupils", "attendance", facts("Attendance"), attendance_items(attendance_years)),
        CategorySection("pupils", "assessment", facts("Assessments"), [assessments]),
        CategorySection(
            "correspondence",
            "correspondence",
            facts(
                "Correspondence",
                purposes=["Sending the school's messages", "Handling complaints and queries about them"],
                retention="Deleted three years after the school's contract ends.",
            ),
            messages,
        ),
        *(extra_sections or []),
    ]
    if schedule is None:
        schedule = [
            ScheduleRow(
                i.source, i.category, i.title, Action.REDACT if i.redacted else Action.DISCLOSE, None, None
            )
            for s in sections
            for i in s.items
        ]
    return PackContent(
        schema_version=1,
        reference=REFERENCE,
        request_type="access",
        received_on=date(2026, 10, 20),
        generated_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        organisation_name="Oak Hill Primary School",
        organisation_contact_name="Pat Lead",
        organisation_contact_email="dpo@oakhill.example",
        requester_name=requester_name,
        requester_relationship="parent_carer",
        subject_name=subject_name,
        subject_dob="2014-05-17",
        sections=sections,
        schedule=schedule,
        sources_searched=[
            SearchedSource("pupils", "Pupil records (MIS)", "done", 4, datetime(2026, 11, 19, 9, tzinfo=UTC)),
            SearchedSource("correspondence", "Messages", "done", len(messages), None),
            SearchedSource("helpdesk", "Helpdesk", "done", 0, None),
        ],
        withheld_count=sum(1 for r in schedule if r.action is Action.WITHHOLD),
        redacted_count=sum(1 for r in schedule if r.action is Action.REDACT),
    )


@dataclass
class ReadPdf:
    """A rendered PDF read back as a reader (and a screen reader) sees it."""

    content: PackContent | None
    rendered: RenderedPdf
    pages: list[str]
    reader: PdfReader
    fetched: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All the text, whitespace collapsed, so wrapped phrases still match."""
        return flat(" ".join(self.pages))

    def outline_titles(self) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []

        def walk(entries: list[Any], depth: int) -> None:
            for entry in entries:
                if isinstance(entry, list):
                    walk(entry, depth + 1)
                else:
                    found.append((depth, entry.title))

        walk(self.reader.outline, 1)
        return found


def flat(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def read_pdf(rendered: RenderedPdf, content: PackContent | None = None) -> ReadPdf:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(rendered.data)) as pdf:
        pages = [page.extract_text() or "" for page in pdf.pages]
    return ReadPdf(content, rendered, pages, PdfReader(io.BytesIO(rendered.data)))


class RecordingFetcher(AssetFetcher):
    """The real fetcher, remembering every URL WeasyPrint asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        self.urls.append(url)
        return super().fetch(url, headers)


SECRET = "Jane Smith on 07700 900123"
WITHHELD_TITLE = "Safeguarding referral about the family"


def standard_pack() -> PackContent:
    """Three years of attendance, a redacted message, a withheld item."""
    original = {"body": f"Please call {SECRET} about the trip.\nThanks, Mrs Head"}
    start = original["body"].index(SECRET)
    span = {"field": "body", "start": start, "end": start + len(SECRET)}
    redacted_body = apply_redactions(original, [span])
    messages = [
        message_item(1, "Dear Sam,\nAmelia was a star today."),
        message_item(2, redacted_body["body"], "Trip phone call", redacted=True),
    ]
    pack = build_pack(attendance_years=3, messages=messages)
    schedule = [
        *pack.schedule,
        ScheduleRow("pupils", "send", None, Action.WITHHOLD, EXEMPTIONS[Exemption.SERIOUS_HARM].title,
                    EXEMPTIONS[Exemption.SERIOUS_HARM].citation),
    ]  # fmt: skip
    schedule = [
        replace(row, exemption_title=EXEMPTIONS[Exemption.THIRD_PARTY].title,
                exemption_citation=EXEMPTIONS[Exemption.THIRD_PARTY].citation)
        if row.action is Action.REDACT else row
        for row in schedule
    ]  # fmt: skip
    return replace(pack, schedule=schedule, withheld_count=1, redacted_count=1)


@pytest.fixture(scope="session")
def pack_pdf() -> ReadPdf:
    content = standard_pack()
    return read_pdf(render_pack_pdf(content), content)


class Kit:
    """The builders and readers above, for the test modules: a conftest is
    not importable by name when the whole suite runs (pytest swaps the
    ``conftest`` module between directories), so tests get them as a fixture."""

    REFERENCE = REFERENCE
    SECRET = SECRET
    WITHHELD_TITLE = WITHHELD_TITLE
    build_pack = staticmethod(build_pack)
    message_item = staticmethod(message_item)
    facts = staticmethod(facts)
    read_pdf = staticmethod(read_pdf)
    flat = staticmethod(flat)
    RecordingFetcher = RecordingFetcher


@pytest.fixture(scope="session")
def kit() -> type[Kit]:
    return Kit


@pytest.fixture
def quick(world, caseworker):
    """A case approved with no items (database, jobs inline): for what happens
    after a build, to packs, links and retention."""
    from tests.unit.exports.factory import approved_without_items

    return approved_without_items(world, caseworker)
