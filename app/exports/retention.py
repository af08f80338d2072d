"""Destroying what a finished case copied of people's data.

While a case is worked, Rights Desk holds copies: the items gathered from
every store, the summaries of the records the search proposed (other
people's among them, such as a twin the DPO rejected), the identity and
authority documents the requester sent, and the response packs. Once the
case has been closed or withdrawn for ``RIGHTSDESK_PACK_RETENTION_DAYS``
days (30 by default) those copies serve nobody, so the daily task (and
``flask packs destroy-expired``) destroys them, in one transaction a case:

- packs: both files crypto-shredded (``shred_blob``), the pack marked
  destroyed and its download links revoked;
- evidence files: crypto-shredded; the row stays (which kind, when it
  arrived: a clock input) with a neutral file name in place of the one
  the requester gave;
- collected items: deleted (they are sealed row by row; the stores they
  came from still hold the originals);
- candidate summaries: emptied; which record was proposed, its score and
  the DPO's decision stay, as the record of the search.

What stays is the case record itself: who asked, what, when, the clock,
the timeline, the review decisions, the "systems searched" checklist with
its counts, the letters sent and any erasure certificate, which are the
controller's evidence of how the request was handled, until years later
``app.cases.record_retention`` reduces it too. The case's
``copies_destroyed_at`` is set, so a re-run finds nothing left to do.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from app.audit.services import record
from app.blobs.services import shred_blob
from app.cases.lifecycle import FINISHED
from app.cases.models import Case, CaseEvidence
from app.collect.models import CaseCandidate, CollectedItem
from app.db import utcnow
from app.exports.models import DownloadLink, PackStatus, ResponsePack
from app.extensions import db

# Read from the environment by app/config.py; the fallback serves an app
# configured without it (e.g. a bare Flask app in a script).
RETENTION_DAYS = 30
CONFIG_KEY = "RIGHTSDESK_PACK_RETENTION_DAYS"
DESTROYED_FILENAME = "destroyed"
_EMPTY_SUMMARY = json.dumps({})


@dataclass
class DestroyReport:
    cutoff: datetime
    dry_run: bool
    cases: list[uuid.UUID] = field(default_factory=list)
    packs: list[uuid.UUID] = field(default_factory=list)
    evidence_files: int = 0
    items: int = 0
    candidates: int = 0
    links_revoked: int = 0

    def __str__(self) -> str:
        verb = "would be destroyed" if self.dry_run else "destroyed"
        links = "" if self.dry_run else f"; {self.links_revoked} link(s) revoked"
        finished = f"closed or withdrawn before {self.cutoff:%Y-%m-%d}"
        return (
            f"{len(self.packs)} response pack(s), {self.evidence_files} evidence file(s), "
            f"{self.items} collected item(s) and {self.candidates} candidate summary(ies) "
            f"of {len(self.cases)} case(s) {finished} {verb}{links}"
        )


@dataclass(frozen=True)
class CaseCopies:
    """What one finished case still holds, by id."""

    case_id: uuid.UUID
    packs: list[ResponsePack]
    evidence: list[CaseEvidence]
    items: int
    candidates: list[CaseCandidate]


def retention_days() -> int:
    return int(current_app.config.get(CONFIG_KEY) or RETENTION_DAYS)


def expired_cases(
    now: datetime, days: int | None = None, *, limit: int | None = None
) -> tuple[datetime, list[Case]]:
    """Finished cases whose copies are still here, closed or withdrawn more
    than ``days`` before ``now``, oldest first (at most ``limit``)."""
    cutoff = now - timedelta(days=retention_days() if days is None else days)
    cases = db.session.scalars(
        select(Case)
        .where(Case.status.in_(FINISHED), Case.closed_at < cutoff, Case.copies_destroyed_at.is_(None))
        .order_by(Case.closed_at, Case.id)
        .limit(limit)
    ).all()
    return cutoff, list(cases)


def copies_of(case: Case) -> CaseCopies:
    packs = db.session.scalars(
        select(ResponsePack)
        .where(ResponsePack.case_id == case.id, ResponsePack.status != PackStatus.DESTROYED)
        .order_by(ResponsePack.version)
    ).all()
    evidence = [item for item in case.evidence if item.blob.destroyed_at is None]
    items = db.session.scalar(
        select(func.count()).select_from(CollectedItem).where(CollectedItem.case_id == case.id)
    )
    # Summaries are sealed (a fresh nonce each time), so an empty one can
    # only be told apart once opened.
    candidates = [
        candidate
        for candidate in db.session.scalars(select(CaseCandidate).where(CaseCandidate.case_id == case.id))
        if candidate.summary_json != _EMPTY_SUMMARY
    ]
    return CaseCopies(case.id, list(packs), evidence, items or 0, candidates)


def destroy_pack(pack: ResponsePack, *, now: datetime | None = None) -> int:
    """Shred the pack's files, mark it destroyed and revoke its links;
    returns the number of links revoked. In the caller's transaction."""
    now = now or utcnow()
    for blob_id in (pack.pdf_blob_id, pack.zip_blob_id):
        if blob_id is not None:
            shred_blob(blob_id)
    pack.status = PackStatus.DESTROYED
    pack.destroyed_at = now
    revoked = db.session.execute(
        update(DownloadLink)
        .where(DownloadLink.pack_id == pack.id, DownloadLink.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    record(
        "pack.destroyed",
        object_type="case",
        object_id=pack.case_id,
        data={"pack": pack.id, "version": pack.version, "links_revoked": revoked or 0},
    )
    return revoked or 0


def destroy_case_copies(case: Case, *, now: datetime | None = None) -> tuple[CaseCopies, int]:
    """Destroy everything ``copies_of(case)`` lists and mark the case; returns
    what was destroyed and the links revoked. In the caller's transaction."""
    now = now or utcnow()
    copies = copies_of(case)
    revoked = sum(destroy_pack(pack, now=now) for pack in copies.packs)
    for item in copies.evidence:
        shred_blob(item.blob_id)
        item.filename = DESTROYED_FILENAME
    db.session.execute(
        delete(CollectedItem)
        .where(CollectedItem.case_id == case.id)
        .execution_options(synchronize_session=False)
    )
    for candidate in copies.candidates:
        candidate.summary_json = _EMPTY_SUMMARY
    case.copies_destroyed_at = now
    record(
        "case.copies_destroyed",
        object_type="case",
        object_id=case.id,
        data={
            "packs": len(copies.packs),
            "evidence_files": len(copies.evidence),
            "items": copies.items,
            "candidates": len(copies.candidates),
        },
    )
    return copies, revoked


def destroy_expired_copies(
    now: datetime | None = None, *, dry_run: bool = False, days: int | None = None, limit: int | None = None
) -> DestroyReport:
    """Destroy the copies of every case past retention, or of the ``limit``
    oldest (or, with ``dry_run``, only count them). The caller commits."""
    now = now or utcnow()
    cutoff, cases = expired_cases(now, days, limit=limit)
    report = DestroyReport(cutoff, dry_run)
    for case in cases:
        if dry_run:
            copies, revoked = copies_of(case), 0
        else:
            copies, revoked = destroy_case_copies(case, now=now)
        report.cases.append(case.id)
        report.packs.extend(pack.id for pack in copies.packs)
        report.evidence_files += len(copies.evidence)
        report.items += copies.items
        report.candidates += len(copies.candidates)
        report.links_revoked += revoked
    if not dry_run:
        db.session.flush()
    return report
