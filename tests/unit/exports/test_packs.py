"""Building the response pack (real PDF and zip renderers, jobs inline):
ready with pages and items, stored encrypted, idempotent, resumed after a
killed worker, failed without leaking the error, refused before approval;
marking responded. Retention (packs shredded with a case's other copies)
is tested in ``test_case_copies``."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.blobs.models import Blob, BlobChunk
from app.blobs.services import open_blob
from app.cases import lifecycle
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseStatus
from app.collect.models import CollectedItem
from app.db import utcnow
from app.exports import packs
from app.exports.models import PackStatus, ResponsePack
from app.extensions import db
from app.jobs import Job, JobStatus
from app.jobs.repair import ABANDONED, repair
from tests.unit.exports.factory import (
    approved_case,
    gathered_case,
    item_count,
    stored_pack,
)

SECRET_PHRASE = "Amelia O'Brien-Núñez"


@pytest.fixture
def approved(world, caseworker):
    return approved_case(world, caseworker)


def _build(case, actor) -> ResponsePack:
    pack = packs.build_pack(case, actor)
    db.session.commit()  # the build job runs inline here
    db.session.expire_all()
    return pack


def _actions(name: str) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == name).order_by(AuditEvent.seq)
    ).all()


def _plain(blob_id) -> bytes:
    return b"".join(open_blob(blob_id))


def test_build_on_an_approved_case_makes_a_ready_pack(approved, caseworker):
    pack = _build(approved, caseworker)
    assert pack.status is PackStatus.READY, pack.error_code
    assert pack.version == 1 and pack.error_code is None
    assert pack.pdf_pages and pack.pdf_pages > 1
    assert pack.item_count == item_count(approved) > 0
    assert pack.built_at is not None and pack.built_by_id == caseworker.id
    assert db.session.get(Job, pack.job_id).status is JobStatus.SUCCEEDED

    pdf = _plain(pack.pdf_blob_id)
    assert pdf.startswith(b"%PDF-") and pack.pdf_blob.content_type == "application/pdf"
    archive = zipfile.ZipFile(io.BytesIO(_plain(pack.zip_blob_id)))
    assert "response.json" in archive.namelist() and "manifest.json" in archive.namelist()
    assert "csv/pupils-attendance.csv" in archive.namelist()

    (requested,) = _actions("pack.build_requested")
    (built,) = _actions("pack.built")
    assert requested.actor_id == caseworker.id and requested.object_id == approved.id
    assert built.data["pack"] == str(pack.id) and built.data["pages"] == pack.pdf_pages
    assert built.data["items"] == pack.item_count and set(built.data) >= {"pdf_blob", "zip_blob"}
    assert approved.status is CaseStatus.APPROVED  # building is not responding


def test_stored_files_are_ciphertext(approved, caseworker):
    pack = _build(approved, caseworker)
    for blob_id in (pack.pdf_blob_id, pack.zip_blob_id):
        sealed = db.session.scalars(select(BlobChunk.sealed).where(BlobChunk.blob_id == blob_id)).all()
        raw = b"".join(sealed)
        assert len(sealed) >= 2  # the stream header and at least one chunk
        assert b"%PDF" not in raw and b"PK\x03\x04" not in raw
        for phrase in ("response.json", "manifest.json", approved.reference, SECRET_PHRASE):
            assert phrase.encode() not in raw
    # ... while the zip's own entries (stored names) are readable once opened.
    assert b"response.json" in _plain(pack.zip_blob_id)


def test_a_rerun_of_a_ready_pack_changes_nothing(approved, caseworker):
    pack = _build(approved, caseworker)
    blobs_before = db.session.scalar(select(func.count()).select_from(Blob))
    pdf_id, zip_id, built_at = pack.pdf_blob_id, pack.zip_blob_id, pack.built_at
    packs.run_build(pack.id)
    db.session.expire_all()
    assert (pack.pdf_blob_id, pack.zip_blob_id, pack.built_at) == (pdf_id, zip_id, built_at)
    assert db.session.scalar(select(func.count()).select_from(Blob)) == blobs_before
    assert len(_actions("pack.built")) == 1


def test_same_content_gives_the_same_zip_but_a_rebuild_is_a_new_version(approved, caseworker):
    first = _build(approved, caseworker)
    lifecycle.move(approved, CaseStatus.RESPONDED, caseworker)
    db.session.commit()
    second = _build(approved, caseworker)  # a rebuild while the response is delivered
    assert (first.version, second.version) == (1, 2) and second.status is PackStatus.READY
    assert first.zip_blob_id != second.zip_blob_id
    assert packs.latest_ready(approved).id == second.id
    assert [p.version for p in packs.packs_for(approved)] == [2, 1]


def test_a_failure_marks_the_pack_failed_with_a_code_never_the_message(approved, caseworker, monkeypatch):
    def explode(content):
        raise RuntimeError(f"could not write {SECRET_PHRASE}'s attendance")

    monkeypatch.setattr(packs, "build_zip", explode)
    pack = _build(approved, caseworker)
    assert pack.status is PackStatus.FAILED and pack.error_code == "RuntimeError"
    assert pack.pdf_blob_id is None and pack.zip_blob_id is None and pack.built_at is None
    assert packs.failure_message(pack.error_code) == packs.UNFORESEEN
    job = db.session.get(Job, pack.job_id)
    assert job.status is JobStatus.FAILED and "RuntimeError" in job.error and "Amelia" not in job.error
    (failed,) = _actions("pack.build_failed")
    assert failed.data == {"pack": str(pack.id), "code": "RuntimeError"}
    # The PDF rendered and stored before the failure was rolled back with it.
    assert db.session.scalar(select(func.count()).select_from(Blob)) == 0
    assert "Amelia" not in str([e.data for e in db.session.scalars(select(AuditEvent))])

    monkeypatch.undo()  # a rebuild after the fault is fixed works
    again = _build(approved, caseworker)
    assert again.status is PackStatus.READY and again.version == 2


def test_an_item_changed_after_review_fails_the_build_as_not_reviewed(approved, caseworker):
    item = db.session.scalars(select(CollectedItem).where(CollectedItem.case_id == approved.id)).first()
    item.data_json = item.data_json.replace("}", ', "changed": true}', 1)
    db.session.commit()
    pack = _build(approved, caseworker)
    assert pack.status is PackStatus.FAILED and pack.error_code == "not_reviewed"
    assert "review decision" in packs.failure_message("not_reviewed")


def test_a_case_not_yet_approved_is_refused(world, caseworker):
    case = gathered_case(world, caseworker)
    with pytest.raises(IllegalTransition, match="approved"):
        packs.build_pack(case, caseworker)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ResponsePack)) == 0


def test_a_second_build_waits_for_the_first_and_a_killed_build_is_resumed_by_repair(
    app, approved, caseworker
):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/4"  # queued, but nothing runs it
    pack = packs.build_pack(approved, caseworker)
    db.session.commit()
    app.config["REDIS_URL"] = None
    db.session.expire_all()
    assert pack.status is PackStatus.BUILDING
    with pytest.raises(IllegalTransition, match="already being built"):
        packs.build_pack(approved, caseworker)
    db.session.rollback()

    # The worker died mid-build: the repair fails the job as abandoned, then queues it again.
    job = db.session.get(Job, pack.job_id)
    job.status, job.started_at = JobStatus.RUNNING, utcnow() - timedelta(hours=2)
    db.session.commit()
    report = repair(queued_for=timedelta(minutes=15), running_for=timedelta(hours=1))
    assert report.abandoned == 1 and report.resumed == 1
    db.session.commit()  # the retried job runs inline here
    db.session.expire_all()
    assert pack.status is PackStatus.READY, pack.error_code
    assert db.session.get(Job, pack.job_id).attempts == 1
    assert db.session.get(Job, pack.job_id).status is JobStatus.SUCCEEDED
    (resumed,) = _actions("pack.build_resumed")
    assert resumed.data["pack"] == str(pack.id)


def test_resume_leaves_alone_builds_that_failed_on_their_own(approved, caseworker, monkeypatch):
    monkeypatch.setattr(packs, "build_zip", lambda content: 1 / 0)
    pack = _build(approved, caseworker)
    assert db.session.get(Job, pack.job_id).error != ABANDONED
    assert packs.resume_abandoned_builds() == []


def test_mark_responded_needs_an_approved_case_with_a_ready_pack(caseworker, quick):
    with pytest.raises(IllegalTransition, match="build the response pack first"):
        packs.mark_responded(quick, caseworker)
    db.session.rollback()
    stored_pack(quick, caseworker)
    packs.mark_responded(quick, caseworker)
    db.session.commit()
    assert quick.status is CaseStatus.RESPONDED
    with pytest.raises(IllegalTransition):
        packs.mark_responded(quick, caseworker)


def test_staff_download_is_audited_and_only_for_ready_files(quick, caseworker):
    pack = stored_pack(quick, caseworker)
    blob = packs.staff_download(quick, pack, "zip", caseworker)
    db.session.commit()
    assert blob.id == pack.zip_blob_id
    (event,) = _actions("pack.downloaded")
    assert event.actor_id == caseworker.id and event.data == {"pack": str(pack.id), "file": "zip"}
    with pytest.raises(LookupError):
        packs.staff_download(quick, pack, "exe", caseworker)
    assert packs.file_name(quick, pack, "pdf") == f"{quick.reference}-response-v1.pdf"


def test_a_phrase_redacted_from_a_message_is_absent_from_the_whole_pack(world, caseworker):
    """The subject line is both the item's title and a field of its data:
    redacting it in the data must take it out of the PDF's headings too."""
    from pypdf import PdfReader

    from app.exports.content import build_pack_content, item_digest
    from app.review.models import Action, ItemDecision
    from tests.unit.exports.factory import decide_all, gathered_case

    case = gathered_case(world, caseworker)
    messages = select(CollectedItem).where(
        CollectedItem.case_id == case.id, CollectedItem.category == "correspondence"
    )
    message = db.session.scalars(messages).first()
    subject = message.data["subject"]
    word = max(subject.split(), key=len)
    start = subject.index(word)
    decide_all(case, caseworker)
    decision = db.session.scalars(select(ItemDecision).where(ItemDecision.item_key == message.key)).one()
    decision.action, decision.exemption = Action.REDACT, "third_party"
    decision.redactions = [{"field": "subject", "start": start, "end": start + len(word)}]
    decision.item_digest = item_digest(message.data_json)
    lifecycle.move(case, CaseStatus.APPROVED, caseworker)
    db.session.commit()

    content = build_pack_content(case)
    (item,) = [i for s in content.sections for i in s.items if i.key == message.key]
    assert word not in item.title and word not in item.data["subject"] and "[redacted]" in item.title
    assert item.title in [row.title for row in content.schedule]  # the schedule shows it redacted too
    pack = _build(case, caseworker)
    pdf = PdfReader(io.BytesIO(b"".join(open_blob(pack.pdf_blob_id))))
    text = " ".join(page.extract_text() for page in pdf.pages).replace("\n", " ")
    assert item.title in text
