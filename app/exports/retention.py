"""Destroying response packs once they are no longer needed.

A pack is a complete copy of someone's data; after the case is closed the
copy in Rights Desk serves nobody. Packs of cases closed more than
``RIGHTSDESK_PACK_RETENTION_DAYS`` days ago (30 by default) are
crypto-shredded: both blobs' data keys are destroyed (``shred_blob``), the
pack is marked destroyed and its links revoked. Re-running finds nothing
left to do. Run daily by the scheduler and by
``flask packs destroy-expired``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.audit.services import record
from app.blobs.services import shred_blob
from app.cases.models import Case, CaseStatus
from app.db import utcnow
from app.exports.models import DownloadLink, PackStatus, ResponsePack
from app.extensions import db

# Read from the environment by app/config.py; the fallback serves an app
# configured without it (e.g. a bare Flask app in a script).
RETENTION_DAYS = 30
CONFIG_KEY = "RIGHTSDESK_PACK_RETENTION_DAYS"


@dataclass(frozen=True)
class DestroyReport:
    cutoff: datetime
    packs: list[uuid.UUID]
    links_revoked: int
    dry_run: bool

    def __str__(self) -> str:
        verb = "would be destroyed" if self.dry_run else "destroyed"
        links = "" if self.dry_run else f"; {self.links_revoked} link(s) revoked"
        closed = f"closed before {self.cutoff:%Y-%m-%d}"
        return f"{len(self.packs)} response pack(s) of cases {closed} {verb}{links}"


def retention_days() -> int:
    return int(current_app.config.get(CONFIG_KEY) or RETENTION_DAYS)


def expired_packs(now: datetime, days: int | None = None) -> tuple[datetime, list[ResponsePack]]:
    """Packs not yet destroyed whose case closed more than ``days`` before ``now``."""
    cutoff = now - timedelta(days=retention_days() if days is None else days)
    packs = db.session.scalars(
        select(ResponsePack)
        .join(Case, Case.id == ResponsePack.case_id)
        .where(
            ResponsePack.status != PackStatus.DESTROYED,
            Case.status == CaseStatus.CLOSED,
            Case.closed_at < cutoff,
        )
        .order_by(ResponsePack.created_at)
    ).all()
    return cutoff, list(packs)


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


def destroy_expired_packs(
    now: datetime | None = None, *, dry_run: bool = False, days: int | None = None
) -> DestroyReport:
    """Destroy every pack past retention (or, with ``dry_run``, only list
    them). The caller commits."""
    now = now or utcnow()
    cutoff, packs = expired_packs(now, days)
    revoked = 0
    if not dry_run:
        for pack in packs:
            revoked += destroy_pack(pack, now=now)
        db.session.flush()
    return DestroyReport(cutoff, [pack.id for pack in packs], revoked, dry_run)
