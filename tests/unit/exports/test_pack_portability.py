"""A data portability request's pack, built by the real renderers and read
back: the zip holds only the data the right covers and lists the rest with
its reason; the PDF's letter is the Article 20 one, with what is not covered
and the offer of an access request; an access request's pack is unchanged."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import delete

from app.blobs.services import open_blob
from app.cases.models import RequestType
from app.exports import packs
from app.exports.content import build_pack_content
from app.exports.models import PackStatus
from app.extensions import db
from app.register.models import RegisterEntry
from app.review import listing, services
from app.review.models import Action
from tests.unit.exports.factory import approved_case, gathered_case
from tests.unit.portability.factory import contract_with_parents


def _approved(world, caseworker, request_type: RequestType):
    case = gathered_case(world, caseworker, request_type=request_type.value)
    if listing.progress(case).total:
        services.decide_many(case, [], Action.DISCLOSE, None, None, caseworker, undecided=True)
    services.approve(case, caseworker)
    db.session.commit()
    return case


def _built(case, actor):
    pack = packs.build_pack(case, actor)
    db.session.commit()  # the build job runs inline here
    db.session.expire_all()
    assert pack.status is PackStatus.READY, pack.error_code
    return pack


def _text(pack) -> str:
    reader = PdfReader(io.BytesIO(b"".join(open_blob(pack.pdf_blob_id))))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _zip(pack) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(open_blob(pack.zip_blob_id))))


@pytest.fixture
def portability(world, caseworker):
    contract_with_parents()  # an independent school: the seeded state school's data is all public task
    return _approved(world, caseworker, RequestType.PORTABILITY)


def test_the_zip_holds_only_covered_data_and_lists_the_rest_with_reasons(portability, caseworker):
    pack = _built(portability, caseworker)
    archive = _zip(pack)
    names = archive.namelist()
    assert "csv/pupils-identity.csv" in names and "csv/consent-consent.csv" in names
    assert "csv/pupils-attendance.csv" not in names and "csv/correspondence-correspondence.csv" not in names
    document = json.loads(archive.read("response.json"))
    assert document["request_type"] == "portability"
    sent = {(s["source"], s["category"]) for s in document["sections"]}
    assert ("pupils", "attendance") not in sent and ("pupils", "identity") in sent
    listed = {(n["source"], n["category"]): n for n in document["not_portable"]}
    attendance = listed[("pupils", "attendance")]
    assert attendance["reason"] == "not_provided" and attendance["count"] >= 1
    assert listed[("correspondence", "correspondence")]["reason"] == "not_written_by_person"
    # Raised by a teacher about the pupil: hers and the teacher's, not the family's to take.
    assert listed[("helpdesk", "support_ticket")]["reason"] == "about_a_pupil"
    assert pack.item_count == listing.progress(portability).total
    assert "data portability request (UK GDPR Article 20)" in archive.read("README.txt").decode()
    manifest = json.loads(archive.read("manifest.json"))
    assert {f["name"] for f in manifest["files"]} == set(names) - {"manifest.json"}


def test_the_letter_is_the_article_20_one_with_what_is_not_covered(portability, caseworker):
    text = _text(_built(portability, caseworker))
    assert "the right to data portability (UK GDPR Article 20)" in text
    assert "Data the right does not cover" in text and "Attendance" in text
    assert "the right covers only data the person provided" in text
    assert "treat it as a subject access request received on 1 September 2025" in text
    assert "Article 20(2)" in text and "Article 20(4)" in text
    assert "Your right to complain to the ICO" in text
    assert "(the right of access)" in text and "(the right to rectification)" in text
    # The access letter's Article 15 wording is not used for this request.
    assert "Article 15(1) and (2)" not in text


def test_an_access_request_keeps_the_article_15_letter_and_every_category(world, caseworker):
    case = approved_case(world, caseworker)
    pack = _built(case, caseworker)
    text = _text(pack)
    assert "Article 15(1) and (2)" in text and "Data the right does not cover" not in text
    document = json.loads(_zip(pack).read("response.json"))
    assert document["not_portable"] == []
    assert ("pupils", "attendance") in {(s["source"], s["category"]) for s in document["sections"]}


def test_a_state_schools_pack_sends_nothing_and_says_why(world, caseworker):
    case = _approved(world, caseworker, RequestType.PORTABILITY)
    pack = _built(case, caseworker)
    document = json.loads(_zip(pack).read("response.json"))
    assert document["sections"] == [] and pack.item_count == 0
    assert {n["reason"] for n in document["not_portable"]} >= {"basis"}
    text = _text(pack)
    assert "None of the personal data we hold about Amelia" in text
    assert "It is used on this basis: Public task (Article 6(1)(e))" in text
    assert "treat it as a subject access request" in text


def test_a_category_missing_from_the_register_refuses_the_pack_as_for_an_access_request(world, caseworker):
    case = _approved(world, caseworker, RequestType.PORTABILITY)
    db.session.execute(delete(RegisterEntry).where(RegisterEntry.category == "attendance"))
    with pytest.raises(LookupError, match="pupils/attendance"):
        build_pack_content(case)
