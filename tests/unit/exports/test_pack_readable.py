"""The pack a parent reads: codes with their meanings, no internal ids, the
stores' own titles for the kinds of record; and the machine-readable copy
still holding every value exactly as stored.

The database test builds the pack as "Build the pack" does (real gather,
real WeasyPrint PDF and zip) for Amelia, given an ethnicity, a first
language, SEND records, consents and a look at her record by this service's
staff; the others render packs built in memory."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pdfplumber
import pytest

from app.blobs.services import open_blob
from app.collect.looks import ACTOR_KIND, CANDIDATES_AREA
from app.demo.data_people import ETHNICITIES, SEND_NEEDS
from app.exports import packs
from app.exports.codes import (
    ETHNICITIES as ETHNICITY_MEANINGS,
)
from app.exports.codes import (
    LANGUAGES,
    readable_data,
    readable_title,
)
from app.exports.codes import (
    SEND_NEEDS as NEED_MEANINGS,
)
from app.exports.content import CategorySection, PackItem, ScheduleRow, SearchedSource, build_pack_content
from app.exports.models import PackStatus
from app.exports.pdf import render_pack_html, render_pack_pdf
from app.extensions import db
from app.review.models import Action
from app.review.redaction import MARKER
from app.sources.access_log.models import AccessLogEntry
from app.sources.consent.models import ConsentRecord, wording_sha256
from app.sources.pupils.models import SendProvision, SendRecord
from tests.unit.exports.factory import approved_case

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return _flat(" ".join(page.extract_text() or "" for page in pdf.pages))


def _plain(blob_id) -> bytes:
    return b"".join(open_blob(blob_id))


# --- a real pack, built from the stores ------------------------------------


@pytest.fixture
def coded_case(world, caseworker):
    """Amelia with a census ethnicity and first language, SEN support and an
    EHC plan, two consents (one a photo purpose on social media) and a look
    at her record by this service's staff; approved, every item disclosed."""
    amelia = world.amelia
    amelia.ethnicity = "WOTH"
    amelia.first_language = "LIT"
    db.session.add(
        SendRecord(
            pupil_id=amelia.id,
            provision=SendProvision.EHC_PLAN,
            primary_need="SLCN",
            start_date=date(2024, 1, 8),
            notes="Speech and language therapy weekly.",
        )
    )
    wording = "I agree that photographs of my child may be posted on the school's social media."
    db.session.add(
        ConsentRecord(
            organisation_id=world.elm.id,
            person_kind="pupil",
            person_id=amelia.id,
            purpose="photos_social_media",
            decision="granted",
            wording=wording,
            wording_version="2024.1",
            wording_sha256=wording_sha256(wording),
            method="web",
            evidence=None,
            recorded_by="Office",
            recorded_at=datetime(2024, 9, 12, 9, tzinfo=UTC),
        )
    )
    db.session.add(
        AccessLogEntry(
            organisation_id=world.elm.id,
            occurred_at=datetime(2024, 10, 1, 11, tzinfo=UTC),
            actor_kind=ACTOR_KIND,
            actor_name="Casey Worker",
            actor_email="case.worker@rightsdesk.example",
            person_kind="pupil",
            person_id=amelia.id,
            action="view",
            area=CANDIDATES_AREA,
        )
    )
    db.session.commit()
    return approved_case(world, caseworker)


@pytest.fixture
def built(coded_case, caseworker) -> dict[str, Any]:
    pack = packs.build_pack(coded_case, caseworker)
    db.session.commit()  # the build job runs inline here
    db.session.expire_all()
    assert pack.status is PackStatus.READY, pack.error_code
    archive = zipfile.ZipFile(io.BytesIO(_plain(pack.zip_blob_id)))
    return {
        "case": coded_case,
        "html": _flat(render_pack_html(build_pack_content(coded_case))),
        "text": _pdf_text(_plain(pack.pdf_blob_id)),
        "json": json.loads(archive.read("response.json")),
        "zip": archive,
    }


def test_the_pdf_gives_each_code_its_meaning(built, world):
    text = built["text"]
    assert "Ethnicity White \u2013 any other White background (WOTH)" in text
    assert "First language Lithuanian (LIT)" in text
    # Both SEND records: SEN support for dyslexia, and the EHC plan.
    assert "Primary need Specific learning difficulty (for example dyslexia) (SPLD)" in text
    assert "Type of support SEN support (K)" in text
    assert "Primary need Speech, language and communication needs (SLCN)" in text
    assert "Type of support Education, health and care plan (E)" in text
    # Consent purposes and methods in words, in the heading and the record.
    assert "Consent given: Photographs on the school's social media accounts" in text
    assert "Purpose Photographs on the school's social media accounts" in text
    assert "Method Online form" in text and "Method Signed paper form" in text
    assert "paper_signature" not in text and "photos_social_media" not in text
    # Whose record, by the store's own title, not "Person kind pupil".
    assert "Record held in Pupil records (MIS)" in text
    assert "Person kind" not in text
    # This service's own look at her record, in words (a table's cells wrap,
    # so their phrases are read from the document the PDF was made from).
    assert "Casey Worker" in text and "Looked at" in text
    assert CANDIDATES_AREA not in text and "rights_desk" not in text
    html = built["html"]
    assert "<td>Staff handling data protection requests</td>" in html
    assert "<td>Data protection request: the records found for the person asked about</td>" in html
    assert "<td>member of staff</td><td>Margaret Hughes</td>" in html
    assert "Gender Female (F)" in text


def test_the_pdf_prints_no_internal_id(built, world):
    text = built["text"]
    assert UUID.search(text) is None, UUID.search(text).group(0)
    for label in ("Pupil id", "Contact id", "Consent id", "Person id", "Message id", "Ticket id", "Grant id"):
        assert re.search(rf"\b{label}\b", text) is None, label
    assert str(world.amelia.id) not in text
    # The data around them is all still there.
    assert "A machine-readable copy of the same data" in text
    assert world.amelia.upn in text


def test_the_machine_readable_copy_keeps_raw_codes_and_ids(built, world):
    document = built["json"]
    items = [item for section in document["sections"] for item in section["items"]]
    by_category: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_category.setdefault(item["category"], []).append(item)
    (characteristics,) = by_category["characteristics"]
    assert characteristics["data"]["ethnicity"] == "WOTH"
    assert characteristics["data"]["first_language"] == "LIT"
    assert characteristics["data"]["pupil_id"] == str(world.amelia.id)
    send = {(i["data"]["provision"], i["data"]["primary_need"]) for i in by_category["send"]}
    assert {("K", "SPLD"), ("E", "SLCN")} <= send
    consents = by_category["consent"]
    assert {c["data"]["method"] for c in consents} == {"paper_signature", "web"}
    assert all(UUID.fullmatch(c["data"]["consent_id"]) for c in consents)
    assert any(c["title"] == "Consent given: photos_social_media" for c in consents)
    assert {c["data"]["person_kind"] for c in consents} >= {"pupil"}
    areas = {e["area"] for i in by_category["access_log"] for e in i["data"]["entries"]}
    assert CANDIDATES_AREA in areas
    # ... and the spreadsheets too.
    rows = list(
        csv.DictReader(io.StringIO(built["zip"].read("csv/pupils-characteristics.csv").decode("utf-8-sig")))
    )
    assert rows[0]["ethnicity"] == "WOTH" and rows[0]["pupil_id"] == str(world.amelia.id)


# --- the tables and the rules, without a database -------------------------


def test_every_code_the_demo_seed_gives_has_a_meaning():
    for ethnicity, _share, _group, languages in ETHNICITIES:
        assert ethnicity in ETHNICITY_MEANINGS, ethnicity
        for language, _weight in languages:
            assert language in LANGUAGES, language
    for need, _share in SEND_NEEDS:
        assert need in NEED_MEANINGS, need
    assert set(NEED_MEANINGS) >= {
        "SPLD",
        "MLD",
        "SLD",
        "PMLD",
        "SEMH",
        "SLCN",
        "HI",
        "VI",
        "MSI",
        "PD",
        "ASD",
    }
    assert {"OTH", "NSA"} <= set(NEED_MEANINGS)
    assert {"POL", "URD", "PNJ", "PAN", "ENG"} <= set(LANGUAGES)


def test_unknown_codes_and_redacted_values_are_shown_as_they_are():
    shown = readable_data(
        {
            "ethnicity": "ZZZZ",
            "first_language": "XQZ",
            "primary_need": f"S{MARKER}",
            "purpose": "trip_medical_extra",
            "method": "carrier_pigeon",
            "gender": None,
            "subject_is": ["recipient", "named"],
        }
    )
    assert shown == {
        "ethnicity": "ZZZZ",
        "first_language": "XQZ",
        "primary_need": f"S{MARKER}",
        "purpose": "Trip medical extra",
        "method": "carrier_pigeon",
        "gender": None,
        "subject_is": ["a recipient", "named in the message"],
    }


def test_ids_are_left_out_at_every_level_and_nothing_else():
    person = "7d1c1f7e-2f0a-4c55-9d7e-3a4c6b9e0a11"
    shown = readable_data(
        {
            "id": "1",
            "pupil_id": person,
            "reference": person.upper(),
            "wording_sha256": "ab" * 32,
            "people_tagged": [{"kind": "employee", "id": person, "name": "Mrs Head"}],
            "recipients": [{"kind": "cc", "name": "Sam", "email": "sam@example.com"}],
            "address": {"contact_id": person, "postcode": "OX1 1AA"},
        }
    )
    assert shown == {
        "wording_sha256": "ab" * 32,
        "people_tagged": [{"kind": "member of staff", "name": "Mrs Head"}],
        "recipients": [{"kind": "Copy (cc)", "name": "Sam", "email": "sam@example.com"}],
        "address": {"postcode": "OX1 1AA"},
    }


def test_only_consent_titles_have_their_purpose_decoded():
    assert readable_title("consent", "Consent withdrawn: biometric_catering") == (
        "Consent withdrawn: Fingerprint (biometric) use for cashless catering"
    )
    assert (
        readable_title("consent", "Consent given: trip_medical")
        == "Consent given: Medical treatment on school trips"
    )
    assert readable_title("correspondence", "Re: photos_social_media") == "Re: photos_social_media"
    assert readable_title("consent", f"Consent given: {MARKER}") == f"Consent given: {MARKER}"


def _consent_section(kit: Any) -> CategorySection:
    item = PackItem(
        key="consent:1",
        source="consent",
        category="consent",
        title="Consent withdrawn: photos_social_media",
        occurred_on=date(2025, 3, 1),
        data={
            "consent_id": "0b7e3c1a-1111-4d2e-9f00-2a2b3c4d5e6f",
            "person_id": "7d1c1f7e-2f0a-4c55-9d7e-3a4c6b9e0a11",
            "person_kind": "contact",
            "purpose": "photos_social_media",
            "decision": "withdrawn",
            "method": "verbal",
            "recorded_by": "Office",
        },
        redacted=False,
    )
    return CategorySection("consent", "consent", kit.facts("Consent"), [item])


def test_the_schedule_and_the_part_two_heading_use_the_purpose_in_words(kit):
    pack = kit.build_pack(attendance_years=1, extra_sections=[_consent_section(kit)])
    (consent,) = pack.sections[-1].items
    rows = [
        *pack.schedule[:-1],
        ScheduleRow(
            "consent", "consent", consent.title, Action.REDACT, "Third party", "DPA 2018 Sch 2 para 16"
        ),
    ]
    html = _flat(render_pack_html(replace(pack, schedule=rows)))
    assert html.count("Consent withdrawn: Photographs on the school&#39;s social media accounts") == 2
    assert "photos_social_media" not in html
    assert "Record held in</th><td>Pupil contacts: parents and carers (MIS)" in html
    assert "Spoken (in person or by telephone)" in html


@pytest.mark.parametrize("words", [3, 6])
def test_no_table_row_splits_across_a_page(kit, words):
    """Forty systems searched, each name wrapping over several lines: every
    row's cells are on one page, the name's first and last words with its
    result. (Without the stylesheet's rule, WeasyPrint split rows 19, and 12
    and 24, of these two tables: part of the name, or the whole name, on one
    page and the rest of the row on the next.)"""
    rows = 40
    searched = [
        SearchedSource(
            f"s{n}",
            f"Start{n}x " + "support desk tickets chat transcripts " * words + f"End{n}x",
            f"result{n}q",  # not a run status, so printed as it is: "Result{n}q"
            n,
            datetime(2026, 11, 19, 9, tzinfo=UTC),
        )
        for n in range(rows)
    ]
    pack = replace(kit.build_pack(attendance_years=0, messages=[]), sources_searched=searched)
    with pdfplumber.open(io.BytesIO(render_pack_pdf(pack).data)) as pdf:
        pages = [page.extract_text() or "" for page in pdf.pages]
    whole = [
        n
        for n in range(rows)
        if any(all(token in page for token in (f"Start{n}x", f"End{n}x", f"Result{n}q")) for page in pages)
    ]
    assert whole == list(range(rows))
    # The table did go over a page, so the rule was put to the test.
    assert len({i for i, page in enumerate(pages) for n in range(rows) if f"Start{n}x" in page}) > 1
