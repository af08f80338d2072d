"""What the requester's private status page shows: where the request is,
in plain words; the date we must answer by; what we need from them; and a
timeline made only of the steps that concern them (internal moves such as
assignment or staff reminders stay out)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select

from app.audit.services import record
from app.cases import clock, letters
from app.cases.clock_inputs import clock_summary, inputs_for
from app.cases.evidence import ACCEPTS_EVIDENCE, needs_authority
from app.cases.models import Case, CaseEvent, CaseStatus, EvidenceKind
from app.cases.services import send_letter
from app.cases.status_links import mint_status_link
from app.extensions import db
from app.intake import choices
from app.letters.services import format_date
from app.sources.names import normalise_email

STAGES: dict[CaseStatus, str] = {
    CaseStatus.AWAITING_IDENTITY: "We are checking who you are",
    CaseStatus.OPEN: "We are working on your request",
    CaseStatus.GATHERING: "We are searching the information held",
    CaseStatus.IN_REVIEW: "We are checking the information before we send it",
    CaseStatus.APPROVED: "Our response to you is ready to send",
    CaseStatus.EXECUTING: "We are making the changes you asked for",
    CaseStatus.RESPONDED: "We have sent our response",
    CaseStatus.PAUSED: "Waiting for your answer",
    CaseStatus.REFUSED: "We could not go ahead with your request",
    CaseStatus.WITHDRAWN: "Your request was withdrawn",
    CaseStatus.CLOSED: "Your request is closed",
}

# Each move in the requester's words: what happened to their request, not
# the name of our internal step (no "approved", "in review" or "executing").
_MOVES: dict[str, str] = {
    CaseStatus.AWAITING_IDENTITY: "You confirmed your email address",
    CaseStatus.OPEN: "We finished checking who you are and started work on your request",
    CaseStatus.GATHERING: "We started looking for the information you asked about",
    CaseStatus.IN_REVIEW: "We started checking the information we found, before sending it to you",
    CaseStatus.APPROVED: "We finished preparing our response to you",
    CaseStatus.EXECUTING: "We started making the changes you asked for",
    CaseStatus.RESPONDED: "We sent you our response",
    CaseStatus.PAUSED: "We asked you a question. The time limit is paused until you answer",
    CaseStatus.REFUSED: "We could not go ahead with your request. We emailed you why, and how to complain",
    CaseStatus.WITHDRAWN: "Your request was withdrawn",
    CaseStatus.CLOSED: "We closed your request",
}
# A paused case goes back to where it was once the requester answers; it can
# also be withdrawn or refused while paused, which is no answer.
_RESUMED = frozenset({CaseStatus.OPEN, CaseStatus.GATHERING, CaseStatus.IN_REVIEW})

_EVIDENCE = {
    EvidenceKind.IDENTITY: "We received your proof of identity",
    EvidenceKind.AUTHORITY: "We received your proof that you can act for someone else",
}

EVIDENCE_CHOICES: tuple[choices.Choice, ...] = (
    choices.Choice(
        EvidenceKind.IDENTITY.value, "Proof of identity", "For example, a passport or driving licence"
    ),
    choices.Choice(
        EvidenceKind.AUTHORITY.value,
        "Proof that I can act for someone else",
        "For example, a birth certificate, a court order or their signed permission",
    ),
)


@dataclass(frozen=True)
class TimelineEntry:
    on: str
    text: str


@dataclass(frozen=True)
class StatusView:
    reference: str
    request_type: str
    organisation_name: str
    stage: str
    received_on: str
    due_on: str | None
    paused_now: bool
    extended: bool
    finished: bool
    acts_for_someone: bool
    needs_identity: bool
    needs_authority: bool
    accepts_evidence: bool
    question: str | None
    asked_on: str | None
    evidence: list[tuple[str, str, str]]  # (what, file name, received)
    timeline: list[TimelineEntry]


def _event_text(event: CaseEvent, from_paused: bool) -> str | None:
    if event.kind == "submitted":
        return "We received your request"
    if event.kind == "status_changed":
        to = event.data.get("to")
        if from_paused and to in _RESUMED:
            return "You answered our question. The time limit started again the next day"
        return _MOVES.get(to)
    if event.kind == "evidence_received":
        return _EVIDENCE.get(EvidenceKind(event.data["kind"]))
    if event.kind == "extended":
        return "We extended the time limit and emailed you the reasons"
    if event.kind == "identity_requested":
        return "We asked you to send proof of who you are"
    return None


def public_timeline(case: Case) -> list[TimelineEntry]:
    """What happened, oldest first (as ``case.events`` are), so the page
    reads as a story: received, then confirmed, and so on."""
    entries = []
    for event in case.events:
        from_paused = event.kind == "status_changed" and event.data.get("from") == CaseStatus.PAUSED
        text = _event_text(event, from_paused)
        if text:
            entries.append(TimelineEntry(format_date(event.at.date()), text))
    return entries


def _label(options: tuple[choices.Choice, ...], value: str) -> str:
    return next((option.label for option in options if option.value == value), value)


def due_before_pause(case: Case) -> date | None:
    """While paused the due date is unknown (it moves by every paused day,
    up to the answer's): the date it was before the open pause."""
    inputs = inputs_for(case)
    answered = tuple(pause for pause in inputs.pauses if not pause.is_open)
    return clock.compute(replace(inputs, pauses=answered)).due


def status_view(case: Case, today: date) -> StatusView:
    summary = clock_summary(case, today)
    due = due_before_pause(case) if summary.paused_now else summary.due
    pause = case.open_pause
    have = {item.kind for item in case.evidence}
    awaiting = case.status is CaseStatus.AWAITING_IDENTITY
    finished = case.status in (
        CaseStatus.RESPONDED,
        CaseStatus.REFUSED,
        CaseStatus.WITHDRAWN,
        CaseStatus.CLOSED,
    )
    return StatusView(
        reference=case.reference or "",
        request_type=_label(choices.REQUEST_TYPES, case.request_type.value),
        organisation_name=case.organisation.name,
        stage=STAGES.get(case.status, "We are working on your request"),
        received_on=format_date(case.received_on),
        due_on=format_date(due) if due and not finished else None,
        paused_now=summary.paused_now,
        extended=case.extended_on is not None,
        finished=finished,
        acts_for_someone=needs_authority(case),
        needs_identity=awaiting and EvidenceKind.IDENTITY not in have,
        needs_authority=awaiting and needs_authority(case) and EvidenceKind.AUTHORITY not in have,
        accepts_evidence=case.status in ACCEPTS_EVIDENCE,
        question=pause.question if pause and case.status is CaseStatus.PAUSED else None,
        asked_on=format_date(pause.asked_on) if pause else None,
        evidence=[
            (_label(EVIDENCE_CHOICES, item.kind.value), item.filename, format_date(item.received_on))
            for item in case.evidence
        ],
        timeline=public_timeline(case),
    )


def send_new_status_link(reference: str, email: str) -> bool:
    """Email a fresh status link when ``reference`` and ``email`` belong to the
    same request (the address the requester confirmed). The caller shows the
    same answer either way, so the form reveals nothing about which
    references exist or whose they are; the result is for the audit only."""
    case = db.session.scalars(select(Case).where(Case.reference == reference.strip().upper())).first()
    if case is None:
        return False
    # No address is kept once the case record is reduced: nothing can match.
    matches = case.requester_email is not None and hmac.compare_digest(
        normalise_email(case.requester_email).encode(), normalise_email(email).encode()
    )
    if not matches or case.status is CaseStatus.SUBMITTED:
        record("case.status_link_refused", actor_type="requester", object_type="case", object_id=case.id)
        return False
    send_letter(
        case, letters.status_link(case, mint_status_link(case)), case.requester_email, "case.status_link"
    )
    record("case.status_link_sent", actor_type="requester", object_type="case", object_id=case.id)
    return True
