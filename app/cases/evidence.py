"""What the requester sends back: proof of identity or authority (files),
and answers to clarification questions; and the staff action that asks for
the proof in the first place.

The month starts on the latest of the day the request, the identity
evidence and the authority evidence arrived (DESIGN §5), but only evidence
the controller asked for moves it: the first upload of each kind after the
latest request for proof. A file nobody asked for, or a further one sent
without a new request, is kept for the decision and leaves the clock alone.
A pause ends on the day the answer arrived.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import BinaryIO

from sqlalchemy import func, select

from app.accounts.models import User
from app.blobs.models import Blob
from app.blobs.services import FileDestroyed
from app.cases import letters, lifecycle
from app.cases.clock_changes import resume
from app.cases.clock_inputs import refresh_clock
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseEvent, CaseEvidence, CaseStatus, EvidenceKind, Relationship
from app.cases.services import IDENTITY_REQUESTED, MAX_TEXT, checked_text, send_letter, today_or
from app.cases.status_links import mint_status_link
from app.db import new_uuid
from app.extensions import db
from app.intake.uploads import UploadRefused, accept_upload
from app.sources.validation import FieldError

# Enough for a passport, a birth certificate, a court order and a few
# retakes; a wall against someone filling the database through one link.
MAX_FILES_PER_CASE = 12
# Evidence is only useful while identity is undecided; once the case is
# open, a new file would change nothing and could move the clock back.
ACCEPTS_EVIDENCE = frozenset({CaseStatus.AWAITING_IDENTITY})
TOO_MANY_FILES = f"You can send up to {MAX_FILES_PER_CASE} files. Email us if you need to send more"
NOT_NEEDED = "We do not need any documents for this request now"
EVIDENCE_RECEIVED = "evidence_received"


def needs_authority(case: Case) -> bool:
    return case.requester_relationship is not Relationship.SELF


def _audit(action: str, case: Case, actor: User | None, data: dict[str, object]) -> None:
    lifecycle.audit_case(action, case, actor, data, nobody="requester")


def add_evidence(
    case: Case,
    kind: EvidenceKind | str,
    stream: BinaryIO | None,
    *,
    filename: str | None,
    declared_type: str | None,
    uploaded_by: User | None = None,
    today: date | None = None,
) -> CaseEvidence:
    """Check and store one file (encrypted), and record the day it arrived
    as a clock input when it was asked for (``_awaited``). Raises
    ``UploadRefused`` (a message for the person) or ``FieldError``; nothing
    is stored when either is raised."""
    today = today_or(today)
    try:
        chosen = EvidenceKind(kind)
    except ValueError:
        raise FieldError("kind", "Select what the document proves") from None
    if chosen is EvidenceKind.AUTHORITY and not needs_authority(case):
        raise FieldError("kind", "Proof of authority is only needed when asking for someone else")
    if case.status not in ACCEPTS_EVIDENCE:
        raise UploadRefused(NOT_NEEDED)
    if len(case.evidence) >= MAX_FILES_PER_CASE:
        raise UploadRefused(TOO_MANY_FILES)
    moves_start = _awaited(case, chosen)
    blob: Blob = accept_upload(stream, filename=filename, declared_type=declared_type)
    item = CaseEvidence(
        id=new_uuid(),
        case_id=case.id,
        kind=chosen,
        blob_id=blob.id,
        filename=_safe_filename(filename),
        received_on=today,
        uploaded_by_id=uploaded_by.id if uploaded_by else None,
    )
    db.session.add(item)
    case.evidence.append(item)
    if moves_start and chosen is EvidenceKind.IDENTITY:
        case.identity_received_on = today
    elif moves_start:
        case.authority_received_on = today
    refresh_clock(case)
    lifecycle.add_event(case, EVIDENCE_RECEIVED, uploaded_by, {"kind": chosen.value})
    _audit("case.evidence_received", case, uploaded_by, {"kind": chosen.value, "evidence": item.id})
    return item


def _awaited(case: Case, kind: EvidenceKind) -> bool:
    """Whether this upload is evidence the controller asked for and was
    waiting on: the first of its kind since the latest request for proof.
    Only that one moves the clock's start; a file nobody asked for, or a
    second one (a retake) without a new request, does not."""
    asked = db.session.scalar(
        select(func.max(CaseEvent.at)).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == IDENTITY_REQUESTED
        )
    )
    if asked is None:
        return False
    since = db.session.scalars(
        select(CaseEvent.data).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == EVIDENCE_RECEIVED, CaseEvent.at >= asked
        )
    )
    return not any(data.get("kind") == kind.value for data in since)


def _safe_filename(filename: str | None) -> str:
    # Only the last path part, printable, bounded: it is shown to staff and
    # offered back as the download name.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*').strip()
    return name[:200] or "document"


def request_identity(case: Case, actor: User) -> Case:
    """Email the requester asking for proof of identity (and of authority
    when they act for someone else), with a link to upload it."""
    if case.status is not CaseStatus.AWAITING_IDENTITY:
        raise IllegalTransition(case, case.status, "proof of identity is asked for while awaiting identity")
    letter = letters.identity_request(case, mint_status_link(case), needs_authority=needs_authority(case))
    send_letter(case, letter, case.requester_email, "case.identity_request")
    lifecycle.add_event(case, IDENTITY_REQUESTED, actor, {"authority": needs_authority(case)})
    _audit("case.identity_requested", case, actor, {"authority": needs_authority(case)})
    return case


def answer_clarification(case: Case, answer: str, *, today: date | None = None) -> Case:
    """The requester answered the open question on their status page: keep
    their words with the question and restart the clock from today."""
    today = today_or(today)
    text = checked_text(answer, "answer", limit=MAX_TEXT)
    pause = case.open_pause
    if case.status is not CaseStatus.PAUSED or pause is None:
        raise IllegalTransition(case, case.resume_status or CaseStatus.OPEN, "only a paused case is answered")
    pause.answer = text
    resume(case, None, answered_on=today, today=today)
    _audit("case.clarification_answered", case, None, {"pause": pause.id})
    return case


class EvidenceDestroyed(FileDestroyed):
    """The file was crypto-shredded after the case finished (the caller answers 410)."""

    def __init__(self, item: CaseEvidence) -> None:
        destroyed = item.destroyed_at
        when = f" on {destroyed:%-d %B %Y}" if destroyed else ""
        super().__init__(
            f"This file was destroyed{when}, some weeks after the case finished, "
            "as the retention rules require. It can no longer be opened."
        )


def evidence_for_download(case: Case, evidence_id: uuid.UUID, actor: User) -> CaseEvidence | None:
    """The case's evidence file for a staff download, audited; None when the
    id is not one of this case's files (the caller answers 404). Raises
    ``EvidenceDestroyed`` for a file destroyed after retention: nothing is
    looked at, so nothing is audited."""
    item = next((item for item in case.evidence if item.id == evidence_id), None)
    if item is not None:
        if item.destroyed_at is not None:
            raise EvidenceDestroyed(item)
        _audit("case.evidence_downloaded", case, actor, {"evidence": item.id})
    return item
