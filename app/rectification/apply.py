"""Applying a case's approved corrections, and the confirmation letter.

``run_apply`` is the job body (``app.rectification.tasks``). It writes the
approved values store by store, one transaction per store, each row locked
and re-read first: when the store's value is no longer the one the proposal
was made on, someone has changed it since, and the proposal is marked stale
rather than overwriting the newer value. Applied proposals are skipped, so a
re-run (RQ delivering twice, a retry) does nothing twice. Once nothing is
left stale, one last transaction tells the recipients of the data (Art 19),
stores the confirmation letter and moves the case executing -> responded;
a failure there rolls all three back together, and the re-run does them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Uuid, cast, func, select

from app.accounts.models import User
from app.blobs.models import Blob
from app.blobs.services import store_blob
from app.cases import letters, lifecycle
from app.cases.models import Case, CaseStatus
from app.cases.record_retention import check_letter_file
from app.cases.services import send_letter
from app.db import new_uuid, utcnow
from app.extensions import db
from app.jobs.models import Job
from app.jobs.repair import resume_abandoned
from app.rectification.fields import KIND_LABELS, STORES, field_for, read, write
from app.rectification.models import ProposalStatus, RectificationLetter, RectificationProposal
from app.rectification.services import proposals_for
from app.sources.protocol import PersonKind

log = logging.getLogger(__name__)
S = ProposalStatus
PDF = "application/pdf"
BLANK = "(blank)"
STALE_WHY = "The record changed after this correction was proposed"


def run_apply(case_id: uuid.UUID, actor_id: uuid.UUID | None = None) -> None:
    """The job body; commits. Does nothing unless the case is executing."""
    session = db.session
    case = session.get(Case, case_id)
    if case is None or case.status is not CaseStatus.EXECUTING:
        log.info("case %s is not executing; nothing to apply", case_id)
        session.rollback()
        return
    actor = session.get(User, actor_id) if actor_id else None
    for kind in PersonKind:
        _apply_store(case_id, kind, actor)
        session.commit()
    case = session.get(Case, case_id, with_for_update={"key_share": True}, populate_existing=True)
    assert case is not None  # it was there a moment ago; cases are not deleted
    if case.status is not CaseStatus.EXECUTING:  # a duplicate delivery finished first
        session.rollback()
        return
    stale = [p for p in proposals_for(case) if p.status is S.STALE]
    if stale:
        lifecycle.audit_case("rectification.apply_stopped", case, actor, {"stale": len(stale)})
        lifecycle.add_event(case, "rectification_stale", actor, {"stale": len(stale)})
        session.commit()
        return
    finish(case, actor)
    session.commit()


def _apply_store(case_id: uuid.UUID, kind: PersonKind, actor: User | None) -> None:
    """Write one store's approved values in the caller's transaction."""
    proposals = db.session.scalars(
        select(RectificationProposal)
        .where(
            RectificationProposal.case_id == case_id,
            RectificationProposal.kind == kind,
            RectificationProposal.status == S.APPROVED,
        )
        .order_by(RectificationProposal.record_id, RectificationProposal.field)
        .with_for_update()
    ).all()
    if not proposals:
        return
    applied, stale = 0, 0
    now = utcnow()
    for proposal in proposals:
        spec = field_for(kind, proposal.field)
        record = db.session.get(
            STORES[kind], proposal.record_id, with_for_update=True, populate_existing=True
        )
        if record is None or record.anonymised_at is not None or read(record, spec) != proposal.before_value:
            proposal.status = S.STALE
            stale += 1
            continue
        write(record, spec, spec.parse(proposal.proposed_value))
        proposal.status = S.APPLIED
        proposal.applied_at = now
        applied += 1
    data = {"kind": kind.value, "applied": applied, "stale": stale}
    record_case = db.session.get(Case, case_id)
    assert record_case is not None
    lifecycle.audit_case("rectification.applied", record_case, actor, data)
    lifecycle.add_event(record_case, "rectification_applied", actor, data)


def finish(case: Case, actor: User | None) -> RectificationLetter:
    """Tell the recipients, store the letter and respond, in the caller's transaction."""
    from app.recipients.services import notify_recipients
    from app.recipients.told import letter_recipients

    proposals = proposals_for(case)
    notices = (
        notify_recipients(case, "rectification", actor)
        if any(p.status is S.APPLIED for p in proposals)
        else []
    )
    # Who else was told, as both the letter and the email say it (Art 19).
    recipients = letter_recipients(case, "rectification", notices)
    context = {**letter_context(case, proposals, _corrected_on(proposals)), "recipients": recipients}
    letter = build_letter(case, proposals, context, actor)
    # The requester's answer by email: what the stored letter says, which
    # fields but not their values.
    answer = letters.rectification_done(
        case,
        corrected_on=context["corrected_on"],
        corrections=[line["what"] for line in context["corrections"]],
        not_corrected=context["not_corrected"],
        recipients=recipients,
    )
    send_letter(case, answer, case.requester_email, "case.rectification_done")
    lifecycle.move(case, CaseStatus.RESPONDED, actor, data={"letter": letter.id})
    return letter


def _corrected_on(proposals: Sequence[RectificationProposal]) -> date:
    applied = [p.applied_at for p in proposals if p.applied_at is not None]
    return max(applied).date() if applied else utcnow().date()


def _what(proposal: RectificationProposal) -> str:
    return f"{field_for(proposal.kind, proposal.field).label} ({KIND_LABELS[proposal.kind]})"


def _shown(value: str | None) -> str:
    return value if value else BLANK


def letter_context(case: Case, proposals: Sequence[RectificationProposal], on: date) -> dict:
    """What the letter says: the corrections made, and what was not changed and why."""
    corrections = [
        {"what": _what(p), "before": _shown(p.before_value), "after": _shown(p.proposed_value)}
        for p in proposals
        if p.status is S.APPLIED
    ]
    not_corrected = [
        {"what": _what(p), "why": p.reason or STALE_WHY}
        for p in proposals
        if p.status in (S.REFUSED, S.STALE)
    ]
    return {
        "requester_name": case.requester_name,
        "reference": case.reference or str(case.id),
        "organisation_name": case.organisation.name,
        "corrected_on": on,
        "corrections": corrections,
        "not_corrected": not_corrected,
    }


def build_letter(
    case: Case,
    proposals: Sequence[RectificationProposal],
    context: dict,
    actor: User | None,
) -> RectificationLetter:
    """Render the confirmation letter from ``context`` (``letter_context``)
    and store it encrypted (caller commits)."""
    from app.exports.pdf import render_document_pdf  # WeasyPrint is heavy to load

    pdf = render_document_pdf("rectification_confirmation", context)
    blob = store_blob(pdf.data, PDF)
    latest = db.session.scalar(
        select(func.max(RectificationLetter.version)).where(RectificationLetter.case_id == case.id)
    )
    letter = RectificationLetter(
        id=new_uuid(),
        case_id=case.id,
        version=(latest or 0) + 1,
        blob_id=blob.id,
        pages=pdf.pages,
        built_by_id=actor.id if actor else None,
    )
    db.session.add(letter)
    db.session.flush()
    for proposal in proposals:
        if proposal.status in (S.APPLIED, S.REFUSED, S.STALE):
            proposal.letter_id = letter.id
    data = {"letter": letter.id, "version": letter.version, "blob": blob.id, "pages": pdf.pages}
    lifecycle.audit_case("rectification.letter_built", case, actor, data)
    lifecycle.add_event(case, "rectification_letter_built", actor, {"version": letter.version})
    return letter


def latest_letter(case: Case) -> RectificationLetter | None:
    return db.session.scalars(
        select(RectificationLetter)
        .where(RectificationLetter.case_id == case.id)
        .order_by(RectificationLetter.version.desc())
        .limit(1)
    ).first()


def letter_file_name(case: Case, letter: RectificationLetter) -> str:
    # The reference only: no names in a file name that lands in Downloads.
    return f"{case.reference or case.id}-rectification-v{letter.version}.pdf"


def staff_download(case: Case, actor: User) -> tuple[RectificationLetter, Blob]:
    """The newest letter for staff to send; ``LookupError`` before there is
    one. Audited in the caller's transaction, which commits before the bytes go out."""
    letter = latest_letter(case)
    if letter is None:
        raise LookupError("no confirmation letter yet")
    check_letter_file(letter.blob, "confirmation letter")
    lifecycle.audit_case("rectification.letter_downloaded", case, actor, {"letter": letter.id})
    return letter, letter.blob


def resume_abandoned_applies() -> list[Job]:
    """Queue again the apply jobs whose worker died (``flask jobs repair``
    marked them failed as abandoned) while their case is still executing.
    A store's writes died with the worker's transaction and applied
    proposals are skipped, so running the job again is safe."""
    from app.rectification.tasks import APPLY_TASK

    # Nothing records the apply job but the job itself, which holds the
    # case id as its first argument: join on that.
    stuck = (
        select(Case, Job)
        .select_from(Job)
        .join(Case, _case_id_argument() == Case.id)
        .where(Job.name == APPLY_TASK, Case.status == CaseStatus.EXECUTING)
        .order_by(Job.created_at)
    )

    def audit(case: Case, job: Job) -> None:
        lifecycle.audit_case("rectification.apply_resumed", case, None, {"job": job.id})

    return [job for _case, job in resume_abandoned(stuck, audit)]


def _case_id_argument() -> ColumnElement[Any]:
    """A job's first argument (a case id, stored as text in the JSON) in the
    form the cases table stores its ids."""
    argument = Job.args[0].as_string()
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(argument, Uuid)
    # SQLite stores a UUID as its 32 hex digits, without the dashes.
    return func.replace(argument, "-", "")
