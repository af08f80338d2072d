"""Retention of what a finished case copied: packs and evidence files
crypto-shredded, collected items deleted, candidate summaries emptied, some
weeks after the case was closed or withdrawn; the case record stays, and a
re-run finds nothing left to do."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.blobs.models import BlobChunk
from app.blobs.services import BlobDestroyedError, open_blob, store_blob
from app.cases import lifecycle
from app.cases import services as case_services
from app.cases.models import Case, CaseEvidence, CaseStatus, EvidenceKind
from app.collect.models import CaseCandidate, SourceRun
from app.db import new_uuid, utcnow
from app.exports import links, packs, retention
from app.exports.links import LinkState
from app.exports.models import PackStatus, ResponsePack
from app.extensions import db
from app.jobs.schedule import PERIODIC
from app.review.models import ItemDecision
from tests.unit.exports.factory import (
    approved_without_items,
    decide_all,
    gathered_case,
    item_count,
    stored_pack,
)

PASSPORT = b"%PDF-1.7\n% Siobhan O'Brien's passport, scanned\n%%EOF\n"


def _evidence(case: Case, filename: str = "Siobhan passport.pdf") -> CaseEvidence:
    """A stored evidence file, as the status page's upload leaves it."""
    blob = store_blob(PASSPORT, "application/pdf")
    item = CaseEvidence(
        id=new_uuid(),
        case_id=case.id,
        kind=EvidenceKind.IDENTITY,
        blob_id=blob.id,
        filename=filename,
        received_on=case.received_on,
    )
    db.session.add(item)
    db.session.commit()
    return item


def _finish(case: Case, actor, days_ago: int) -> None:
    """Closed (through the lifecycle) ``days_ago`` days ago."""
    path = {
        CaseStatus.IN_REVIEW: (CaseStatus.APPROVED, CaseStatus.RESPONDED),
        CaseStatus.APPROVED: (CaseStatus.RESPONDED,),
    }
    for status in path.get(case.status, ()):
        lifecycle.move(case, status, actor)
    lifecycle.move(case, CaseStatus.CLOSED, actor)
    case.closed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()


def _count(model, case: Case) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(model.case_id == case.id))


def _actions(name: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == name).order_by(AuditEvent.seq)
    return db.session.scalars(query).all()


def _summaries(case: Case) -> list[dict]:
    rows = db.session.scalars(select(CaseCandidate).where(CaseCandidate.case_id == case.id)).all()
    return [json.loads(row.summary_json) for row in rows]


def test_copies_of_a_long_closed_case_are_destroyed_and_its_record_stays(world, caseworker):
    case = gathered_case(world, caseworker)
    decide_all(case, caseworker)
    db.session.commit()
    evidence = _evidence(case)
    pack = stored_pack(case, caseworker)
    _finish(case, caseworker, days_ago=31)
    items, decisions, runs = item_count(case), _count(ItemDecision, case), _count(SourceRun, case)
    candidates = db.session.scalars(select(CaseCandidate).where(CaseCandidate.case_id == case.id)).all()
    chosen = {(row.record_id, row.decision, row.score) for row in candidates}
    assert items > 0 and decisions == items and runs == 7
    assert any("Amelia" in summary.get("name", "") for summary in _summaries(case))

    dry = retention.destroy_expired_copies(dry_run=True)
    assert dry.cases == [case.id] and dry.packs == [pack.id]
    assert (dry.evidence_files, dry.items, dry.candidates) == (1, items, len(candidates))
    db.session.rollback()
    assert item_count(case) == items and b"".join(open_blob(evidence.blob_id)) == PASSPORT

    report = retention.destroy_expired_copies()
    db.session.commit()
    db.session.expire_all()
    assert report.cases == [case.id] and report.packs == [pack.id]
    assert (report.evidence_files, report.items, report.candidates) == (1, items, len(candidates))
    # The copies are gone...
    assert item_count(case) == 0
    assert _summaries(case) == [{}] * len(candidates)
    with pytest.raises(BlobDestroyedError):
        open_blob(evidence.blob_id)
    assert db.session.scalar(select(func.count()).where(BlobChunk.blob_id == evidence.blob_id)) == 0
    assert db.session.get(ResponsePack, pack.id).status is PackStatus.DESTROYED
    # ...and the record of how the request was handled is not.
    item = db.session.get(CaseEvidence, evidence.id)
    assert item.filename == retention.DESTROYED_FILENAME and item.destroyed_at is not None
    assert item.kind is EvidenceKind.IDENTITY and item.received_on == case.received_on
    assert _count(ItemDecision, case) == decisions and _count(SourceRun, case) == runs
    after = db.session.scalars(select(CaseCandidate).where(CaseCandidate.case_id == case.id)).all()
    assert {(row.record_id, row.decision, row.score) for row in after} == chosen
    assert case.copies_destroyed_at is not None and case.status is CaseStatus.CLOSED
    (event,) = _actions("case.copies_destroyed")
    assert event.object_id == case.id
    assert event.data == {"packs": 1, "evidence_files": 1, "items": items, "candidates": len(candidates)}

    again = retention.destroy_expired_copies(datetime.now(UTC) + timedelta(days=400))
    assert again.cases == [] and again.items == 0 and again.packs == []


def test_withdrawn_cases_count_and_recent_or_active_ones_are_kept(world, caseworker, app):
    active = gathered_case(world, caseworker)
    recent = approved_without_items(world, caseworker, requester_email="recent@example.net")
    withdrawn = approved_without_items(world, caseworker, requester_email="gone@example.net")
    for case in (active, recent, withdrawn):
        _evidence(case)
    _finish(recent, caseworker, days_ago=29)
    case_services.withdraw(withdrawn, None)
    withdrawn.closed_at = utcnow() - timedelta(days=31)
    db.session.commit()

    report = retention.destroy_expired_copies()
    db.session.commit()
    assert report.cases == [withdrawn.id] and report.evidence_files == 1
    app.config[retention.CONFIG_KEY] = 7  # the period is configurable
    later = retention.destroy_expired_copies()
    db.session.commit()
    assert later.cases == [recent.id]
    db.session.expire_all()
    # A case still being worked keeps everything, however long it has run.
    assert active.copies_destroyed_at is None and item_count(active) > 0
    assert all(item.destroyed_at is None for item in active.evidence)
    assert b"".join(open_blob(active.evidence[0].blob_id)) == PASSPORT


def test_packs_of_long_closed_cases_are_shredded_and_their_links_stop(quick, caseworker):
    pack = stored_pack(quick, caseworker)
    sent = links.send_pack(pack, "school", caseworker)
    db.session.commit()
    _finish(quick, caseworker, days_ago=31)

    report = retention.destroy_expired_copies()
    db.session.commit()
    db.session.expire_all()
    assert report.packs == [pack.id] and report.links_revoked == 1
    assert pack.status is PackStatus.DESTROYED and pack.destroyed_at is not None
    for blob_id in (pack.pdf_blob_id, pack.zip_blob_id):
        with pytest.raises(BlobDestroyedError):
            open_blob(blob_id)
        assert db.session.scalar(select(func.count()).where(BlobChunk.blob_id == blob_id)) == 0
    link = sent.link
    assert link.revoked_at is not None and links.state_of(link) is LinkState.REVOKED
    assert links.take_download(link, "pdf") is None
    with pytest.raises(LookupError):
        packs.pack_file(pack, "pdf")
    (event,) = _actions("pack.destroyed")
    assert event.data == {"pack": str(pack.id), "version": 1, "links_revoked": 1}


def test_destroy_expired_command_and_the_daily_schedule(app, quick, caseworker):
    pack = stored_pack(quick, caseworker)
    evidence = _evidence(quick)
    _finish(quick, caseworker, days_ago=1)
    runner = app.test_cli_runner()
    soon = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%d")
    later = (utcnow() + timedelta(days=40)).strftime("%Y-%m-%d")
    quiet = runner.invoke(args=["packs", "destroy-expired", "--as-of", soon])
    assert quiet.exit_code == 0 and "0 response pack(s), 0 evidence file(s)" in quiet.output
    dry = runner.invoke(args=["packs", "destroy-expired", "--as-of", later, "--dry-run"])
    assert dry.exit_code == 0 and f"would destroy pack {pack.id}" in dry.output
    assert f"would destroy the copies held for case {quick.id}" in dry.output
    assert "1 response pack(s), 1 evidence file(s)" in dry.output and "would be destroyed" in dry.output
    db.session.expire_all()
    assert db.session.get(ResponsePack, pack.id).status is PackStatus.READY
    assert b"".join(open_blob(evidence.blob_id)) == PASSPORT
    done = runner.invoke(args=["packs", "destroy-expired", "--as-of", later])
    assert done.exit_code == 0 and "1 response pack(s), 1 evidence file(s)" in done.output
    db.session.expire_all()
    assert db.session.get(ResponsePack, pack.id).status is PackStatus.DESTROYED
    assert db.session.get(CaseEvidence, evidence.id).destroyed_at is not None

    periodic = PERIODIC["packs.destroy_expired"]
    assert periodic.every_seconds == 86400 and periodic.run().startswith("0 response pack(s)")


def test_the_daily_task_destroys_copies_in_batches_oldest_first(world, caseworker, monkeypatch):
    import app.jobs.schedule as schedule

    cases = [
        approved_without_items(world, caseworker, requester_email=f"batch{n}@example.net") for n in range(3)
    ]
    for days_ago, case in zip((50, 40, 35), cases, strict=True):
        _evidence(case)
        _finish(case, caseworker, days_ago=days_ago)

    first = retention.destroy_expired_copies(limit=2)
    db.session.commit()
    assert first.cases == [cases[0].id, cases[1].id] and first.evidence_files == 2

    monkeypatch.setattr(schedule, "RETENTION_BATCH", 1)
    summary = PERIODIC["packs.destroy_expired"].run()
    assert summary.startswith("2 batches: 0 response pack(s), 1 evidence file(s)")
    db.session.expire_all()
    assert all(db.session.get(Case, case.id).copies_destroyed_at is not None for case in cases)
