"""Building the response pack, and what staff do with it besides sending links.

``build_pack`` makes a new ``ResponsePack`` version (status building) and
queues its job; ``run_build`` is the job body: it assembles the content
once, renders the PDF and the zip from it, stores both as encrypted blobs
and marks the pack ready, all in one transaction. Idempotent: a re-run of a
ready (or destroyed) pack does nothing, and a job killed mid-build is queued
again by ``flask jobs repair`` (``resume_abandoned_builds``). A failure marks
the pack failed with a code, never the exception's message, which may quote
the data being rendered.

Like the other services, functions here work in the caller's transaction
(the caller commits) except ``run_build``, which is a job and commits itself.
Retention (crypto-shredding packs of long-closed cases) is in
``app.exports.retention``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.services import record
from app.blobs.models import Blob
from app.blobs.services import BlobError, store_blob
from app.cases import lifecycle
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseStatus
from app.db import new_uuid, utcnow
from app.exports.access import log_staff_download
from app.exports.content import NotReviewed, build_pack_content
from app.exports.models import PackStatus, ResponsePack
from app.exports.package import build_zip
from app.exports.revocation import revoke_superseded
from app.exports.tasks import BUILD_TASK  # importing it registers the build job
from app.extensions import db
from app.jobs import Job, JobError, JobStatus, enqueue
from app.jobs.repair import resume_abandoned

log = logging.getLogger(__name__)

# A pack is built from an approved case, and may be rebuilt while the
# response is still being delivered. Not once the case is closed: the
# response is final then, and a new pack would restart the retention clock
# on data the requester already has.
BUILDABLE = frozenset({CaseStatus.APPROVED, CaseStatus.RESPONDED})
FileKind = Literal["pdf", "zip"]
FILE_KINDS: tuple[FileKind, ...] = ("pdf", "zip")
CONTENT_TYPES: dict[str, str] = {"pdf": "application/pdf", "zip": "application/zip"}

# Failure codes stored on the pack, with the sentence staff see. Anything
# unforeseen is stored as its exception type (an identifier, never a message).
FAILURES: dict[str, str] = {
    "not_reviewed": "Some items have no review decision, or changed after it. Review them, then rebuild.",
    "register_incomplete": "A category is missing from the processing register. Add it, then rebuild.",
    "case_not_approved": "The case was no longer approved when the build ran.",
    "storage_failed": "The files could not be stored. Rebuild; if it fails again, see the job log.",
}
UNFORESEEN = "The pack could not be built. Rebuild; if it fails again, see the job log."


class PackError(JobError):
    """A build that cannot go on; the message holds ids and codes only."""


def failure_message(code: str | None) -> str | None:
    if code is None:
        return None
    return FAILURES.get(code, UNFORESEEN)


def packs_for(case: Case) -> Sequence[ResponsePack]:
    """Every version of the case's pack, newest first."""
    return db.session.scalars(
        select(ResponsePack).where(ResponsePack.case_id == case.id).order_by(ResponsePack.version.desc())
    ).all()


def pack_of(case: Case, pack_id: uuid.UUID) -> ResponsePack:
    """One of the case's packs, or ``LookupError`` (another case's pack is not found either)."""
    pack = db.session.get(ResponsePack, pack_id)
    if pack is None or pack.case_id != case.id:
        raise LookupError("no such pack")
    return pack


def latest_ready(case: Case) -> ResponsePack | None:
    return db.session.scalars(
        select(ResponsePack)
        .where(ResponsePack.case_id == case.id, ResponsePack.status == PackStatus.READY)
        .order_by(ResponsePack.version.desc())
        .limit(1)
    ).first()


def _locked(case: Case) -> Case:
    # FOR NO KEY UPDATE, like the collector: serialises two builds of one
    # case (so versions cannot collide) without blocking foreign-key checks.
    query = (
        select(Case)
        .where(Case.id == case.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(query).one()


def build_in_progress(case: Case) -> ResponsePack | None:
    """A pack still building whose job is alive (queued or running)."""
    return db.session.scalars(
        select(ResponsePack)
        .join(Job, Job.id == ResponsePack.job_id)
        .where(
            ResponsePack.case_id == case.id,
            ResponsePack.status == PackStatus.BUILDING,
            Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
        )
        .limit(1)
    ).first()


def build_pack(case: Case, actor: User | None) -> ResponsePack:
    """A new pack version in status building, its job queued after the
    commit. ``IllegalTransition`` unless the case is approved (or responded,
    for a rebuild) and no other build of it is under way."""
    case = _locked(case)
    if case.status not in BUILDABLE:
        raise IllegalTransition(case, None, "a response pack is built once the case is approved")
    if build_in_progress(case) is not None:
        raise IllegalTransition(case, None, "a response pack is already being built")
    latest = db.session.scalar(select(func.max(ResponsePack.version)).where(ResponsePack.case_id == case.id))
    pack = ResponsePack(
        id=new_uuid(),
        case_id=case.id,
        version=(latest or 0) + 1,
        status=PackStatus.BUILDING,
        built_by_id=actor.id if actor else None,
    )
    db.session.add(pack)
    db.session.flush()
    pack.job_id = enqueue(BUILD_TASK, pack.id).id
    lifecycle.audit_case("pack.build_requested", case, actor, {"pack": pack.id, "version": pack.version})
    lifecycle.add_event(case, "pack_build_requested", actor, {"version": pack.version})
    return pack


def run_build(pack_id: uuid.UUID) -> None:
    """The job body: build, store and mark ready; commits. Raises
    ``PackError`` (ids and codes only) after marking the pack failed."""
    session = db.session
    pack = session.get(ResponsePack, pack_id, with_for_update=True, populate_existing=True)
    if pack is None:
        raise PackError(f"pack {pack_id} does not exist")
    if pack.status in (PackStatus.READY, PackStatus.DESTROYED):
        log.info("pack %s is already %s; nothing to build", pack_id, pack.status.value)
        session.rollback()
        return
    case = session.get(Case, pack.case_id)
    assert case is not None  # the pack row cascades with its case
    try:
        if case.status not in BUILDABLE:
            raise _Refused("case_not_approved")
        _build(pack, case)
    except Exception as exc:
        session.rollback()
        code = _failure_code(exc)
        _mark_failed(pack_id, code)
        raise PackError(f"pack {pack_id} failed: {code}") from None
    session.commit()


class _Refused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _failure_code(exc: Exception) -> str:
    if isinstance(exc, _Refused):
        return exc.code
    if isinstance(exc, NotReviewed):
        return "not_reviewed"
    if isinstance(exc, BlobError):
        return "storage_failed"
    if type(exc) is LookupError:  # build_pack_content: a category missing from the register
        return "register_incomplete"
    return type(exc).__name__[:80]


def _build(pack: ResponsePack, case: Case) -> None:
    from app.exports.pdf import render_pack_pdf  # imported here: WeasyPrint is heavy to load

    content = build_pack_content(case)
    pdf = render_pack_pdf(content)
    archive = build_zip(content)
    # Bytes straight into store_blob, which encrypts as it goes: the clear
    # files exist only in this process's memory, never on disk.
    pdf_blob = store_blob(pdf.data, CONTENT_TYPES["pdf"])
    zip_blob = store_blob(archive, CONTENT_TYPES["zip"])
    pack.pdf_blob_id = pdf_blob.id
    pack.zip_blob_id = zip_blob.id
    pack.pdf_pages = pdf.pages
    pack.item_count = content.item_count
    pack.status = PackStatus.READY
    pack.built_at = utcnow()
    pack.error_code = None
    data = {
        "pack": pack.id,
        "version": pack.version,
        "items": content.item_count,
        "withheld": content.withheld_count,
        "redacted": content.redacted_count,
        "pages": pdf.pages,
        "pdf_blob": pdf_blob.id,
        "zip_blob": zip_blob.id,
    }
    lifecycle.audit_case("pack.built", case, None, data)
    lifecycle.add_event(case, "pack_built", None, {"version": pack.version, "items": content.item_count})
    # The older versions' links stop working in the transaction that makes
    # this one ready: a rebuild usually means the old pack was wrong.
    revoke_superseded(pack)


def _mark_failed(pack_id: uuid.UUID, code: str) -> None:
    session = db.session
    pack = session.get(ResponsePack, pack_id, with_for_update=True, populate_existing=True)
    # A retried failed pack is failed again with the new code; a pack made
    # ready or destroyed meanwhile (a duplicate delivery) is left alone.
    if pack is None or pack.status not in (PackStatus.BUILDING, PackStatus.FAILED):
        session.rollback()
        return
    pack.status = PackStatus.FAILED
    pack.error_code = code
    case = session.get(Case, pack.case_id)
    assert case is not None
    lifecycle.audit_case("pack.build_failed", case, None, {"pack": pack.id, "code": code})
    session.commit()


def resume_abandoned_builds() -> list[ResponsePack]:
    """Queue again every build whose worker died: ``flask jobs repair``
    marks such jobs failed as abandoned, and a build is idempotent, so it is
    simply run again. The caller commits."""
    stuck = (
        select(ResponsePack, Job)
        .join(Job, Job.id == ResponsePack.job_id)
        .where(ResponsePack.status == PackStatus.BUILDING)
    )

    def relink(pack: ResponsePack, job: Job) -> None:
        pack.job_id = job.id

    def audit(pack: ResponsePack, job: Job) -> None:
        data = {"pack": pack.id, "job": job.id}
        record("pack.build_resumed", object_type="case", object_id=pack.case_id, data=data)

    return [pack for pack, _job in resume_abandoned(stuck, audit, relink)]


def pack_file(pack: ResponsePack, kind: str) -> Blob:
    """The stored PDF or zip of a ready pack; ``LookupError`` otherwise."""
    if kind not in FILE_KINDS or pack.status is not PackStatus.READY:
        raise LookupError("no such file")
    blob = pack.pdf_blob if kind == "pdf" else pack.zip_blob
    if blob is None:
        raise LookupError("no such file")
    return blob


def file_name(case: Case, pack: ResponsePack, kind: str) -> str:
    # The reference only: no names in a file name that lands in Downloads.
    return f"{case.reference}-response-v{pack.version}.{kind}"


def staff_download(case: Case, pack: ResponsePack, kind: str, actor: User) -> Blob:
    """A staff member takes the file straight from the console or the API
    (a school delivering the response itself, a DPO checking it). Audited,
    and access-logged against every subject record, in the caller's
    transaction, which must commit before the bytes go out."""
    blob = pack_file(pack, kind)
    lifecycle.audit_case("pack.downloaded", case, actor, {"pack": pack.id, "file": kind})
    log_staff_download(case, actor)
    return blob


def mark_responded(case: Case, actor: User) -> Case:
    """The school sent the response itself (from a console download or the
    school's own link): move the case approved -> responded. Needs a ready
    pack, so a case cannot be marked answered with nothing to answer with."""
    case = _locked(case)
    if case.status is not CaseStatus.APPROVED:
        raise IllegalTransition(case, CaseStatus.RESPONDED, "only an approved case is marked responded")
    pack = latest_ready(case)
    if pack is None:
        raise IllegalTransition(case, CaseStatus.RESPONDED, "build the response pack first")
    lifecycle.move(case, CaseStatus.RESPONDED, actor, data={"via": "marked", "pack": pack.id})
    return case
