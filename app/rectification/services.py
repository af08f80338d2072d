"""Proposing, deciding and approving corrections of a rectification case.

A proposal names one field of one record the DPO confirmed as the subject
(``app.collect``), the value the store holds now and the value asked for,
checked by the field's own rule (``app.rectification.fields``). Each is
approved or refused with a reason; once every proposal is decided the case
moves in_review -> approved, and ``start_apply`` queues the job that writes
the approved values (``app.rectification.apply``).

Like the other services, every function works in the caller's transaction
(the caller commits), locks the case row before changing anything under it,
and records audit events and timeline entries holding ids and codes only:
the values and reasons stay in the sealed proposal row.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.cases import lifecycle
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseStatus, RequestType
from app.collect.models import CaseCandidate, Decision
from app.db import new_uuid, utcnow
from app.extensions import db
from app.jobs import Job, enqueue
from app.rectification.fields import FIELDS, KIND_LABELS, STORES, RectifiableField, as_text, field_for, read
from app.rectification.models import ProposalStatus, RectificationProposal
from app.rectification.tasks import APPLY_TASK
from app.sources.protocol import PersonKind
from app.sources.validation import FieldError, has_control_characters

__all__ = [
    "FieldError",
    "IllegalTransition",
    "approve_case",
    "decide",
    "propose",
    "start_apply",
]

REASON_MAX_LENGTH = 2000
# Corrections are proposed from the moment the subject's records are confirmed
# until the case is approved; an executing case only takes a stale one again.
PROPOSABLE = frozenset({CaseStatus.OPEN, CaseStatus.GATHERING, CaseStatus.IN_REVIEW})
DECIDABLE = PROPOSABLE | {CaseStatus.EXECUTING}
APPLICABLE = frozenset({CaseStatus.APPROVED, CaseStatus.EXECUTING})
PENDING = frozenset({ProposalStatus.PROPOSED, ProposalStatus.STALE})
S = ProposalStatus


@dataclass(frozen=True)
class ConfirmedRecord:
    """A record the DPO confirmed as the subject, with what can be corrected."""

    kind: PersonKind
    record_id: uuid.UUID
    summary: dict[str, Any]
    fields: tuple[RectifiableField, ...]

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def _locked(case: Case) -> Case:
    # FOR NO KEY UPDATE, like the collector and the review: two people
    # deciding at once are serialised without blocking foreign-key checks.
    query = (
        select(Case)
        .where(Case.id == case.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(query).one()


def _rectification(case: Case) -> None:
    if case.request_type is not RequestType.RECTIFICATION:
        raise IllegalTransition(case, None, f"a {case.request_type.value} case has no corrections")


def proposals_for(case: Case) -> Sequence[RectificationProposal]:
    return db.session.scalars(
        select(RectificationProposal)
        .where(RectificationProposal.case_id == case.id)
        .order_by(
            RectificationProposal.kind, RectificationProposal.record_id, RectificationProposal.created_at
        )
    ).all()


def proposal_of(case: Case, proposal_id: uuid.UUID) -> RectificationProposal:
    """The case's proposal, or ``LookupError``."""
    found = db.session.get(RectificationProposal, proposal_id)
    if found is None or found.case_id != case.id:
        raise LookupError("no such proposal")
    return found


def confirmed_records(case: Case) -> list[ConfirmedRecord]:
    """The subject's confirmed records in the stores that can be corrected."""
    rows = db.session.scalars(
        select(CaseCandidate)
        .where(
            CaseCandidate.case_id == case.id,
            CaseCandidate.decision == Decision.CONFIRMED,
            CaseCandidate.about == "subject",
        )
        .order_by(CaseCandidate.kind, CaseCandidate.created_at)
    ).all()
    return [
        ConfirmedRecord(
            row.kind, row.record_id, json.loads(row.summary_json), tuple(FIELDS[row.kind].values())
        )
        for row in rows
        if row.kind in FIELDS
    ]


def record_of(case: Case, kind: PersonKind | str, record_id: uuid.UUID, *, lock: bool = False) -> Any:
    """The store's row, if it is one of the case's confirmed records;
    ``FieldError`` on ``record_id`` otherwise."""
    try:
        kind = PersonKind(kind)
    except ValueError:
        raise FieldError("kind", "Choose a pupil, contact or staff record") from None
    if not any(r.kind is kind and r.record_id == record_id for r in confirmed_records(case)):
        raise FieldError("record_id", "Choose one of the records confirmed as the subject of this case")
    row = db.session.get(STORES[kind], record_id, with_for_update=lock, populate_existing=lock)
    if row is None:
        raise FieldError("record_id", "That record is no longer in the school's records")
    if row.anonymised_at is not None:
        raise FieldError("record_id", "That record has been anonymised and can no longer be corrected")
    return row


def propose(
    case: Case,
    actor: User,
    kind: PersonKind | str,
    record_id: uuid.UUID,
    field: str,
    value: str | None,
) -> RectificationProposal:
    """Propose ``value`` for one field of a confirmed record; the before
    value is read from the store now. Proposing the same field again
    replaces the proposal and its decision. ``FieldError`` with the field's
    own message for a value it would refuse."""
    case = _locked(case)
    _rectification(case)
    if case.status not in PROPOSABLE and case.status is not CaseStatus.EXECUTING:
        raise IllegalTransition(case, None, "corrections are proposed before the case is approved")
    record = record_of(case, kind, record_id)
    spec = field_for(kind, field)
    proposed = as_text(spec.parse(value))
    before = read(record, spec)
    if proposed == before:
        raise FieldError("value", f"{spec.label}: this is already the value held")
    proposal = db.session.scalars(
        select(RectificationProposal).where(
            RectificationProposal.case_id == case.id,
            RectificationProposal.kind == PersonKind(kind),
            RectificationProposal.record_id == record_id,
            RectificationProposal.field == spec.name,
        )
    ).one_or_none()
    if proposal is not None and proposal.status is S.APPLIED:
        raise FieldError("field", f"{spec.label} was already corrected for this case")
    if case.status is CaseStatus.EXECUTING and (proposal is None or proposal.status is not S.STALE):
        raise IllegalTransition(case, None, "while executing, only a stale correction is proposed again")
    if proposal is None:
        proposal = RectificationProposal(
            id=new_uuid(), case_id=case.id, kind=PersonKind(kind), record_id=record_id, field=spec.name
        )
        db.session.add(proposal)
    proposal.before_value = before
    proposal.proposed_value = proposed
    proposal.status = S.PROPOSED
    proposal.proposed_by_id = actor.id
    proposal.reason = None
    proposal.decided_by_id = None
    proposal.decided_at = None
    db.session.flush()
    data = {"proposal": proposal.id, "kind": proposal.kind.value, "field": spec.name}
    lifecycle.audit_case("rectification.proposed", case, actor, data)
    lifecycle.add_event(
        case, "rectification_proposed", actor, {"kind": proposal.kind.value, "field": spec.name}
    )
    return proposal


def clean_reason(reason: str | None, *, required: bool) -> str | None:
    text = (reason or "").strip()
    if not text:
        if required:
            raise FieldError("reason", "Give the reason for refusing this correction")
        return None
    if len(text) > REASON_MAX_LENGTH:
        raise FieldError("reason", f"The reason must be {REASON_MAX_LENGTH:,} characters or less")
    if has_control_characters(text):
        raise FieldError("reason", "The reason must not contain control characters")
    return text


def decide(
    case: Case, proposal_id: uuid.UUID, actor: User, *, approve: bool, reason: str | None = None
) -> RectificationProposal:
    """Approve or refuse one proposal; a refusal needs its reason (the
    letter tells the requester why). ``LookupError`` for another case's."""
    case = _locked(case)
    _rectification(case)
    if case.status not in DECIDABLE:
        raise IllegalTransition(case, None, "corrections are decided before they are applied")
    proposal = proposal_of(case, proposal_id)
    if proposal.status is S.APPLIED:
        raise FieldError("proposal", "This correction has been applied and cannot be decided again")
    if proposal.status is S.STALE and approve:
        # Approving it would overwrite the newer value the store now holds.
        raise FieldError("proposal", "The record changed since: propose this correction again, or refuse it")
    proposal.reason = clean_reason(reason, required=not approve)
    proposal.status = S.APPROVED if approve else S.REFUSED
    proposal.decided_by_id = actor.id
    proposal.decided_at = utcnow()
    data = {"proposal": proposal.id, "decision": proposal.status.value, "field": proposal.field}
    lifecycle.audit_case("rectification.decided", case, actor, data)
    lifecycle.add_event(case, "rectification_decided", actor, {"decision": proposal.status.value})
    return proposal


def counts(proposals: Sequence[RectificationProposal]) -> dict[str, int]:
    found = {status.value: 0 for status in ProposalStatus}
    for proposal in proposals:
        found[proposal.status.value] += 1
    return found


def approve_case(case: Case, actor: User | None) -> Case:
    """in_review -> approved once every proposal is decided (at least one)."""
    case = _locked(case)
    _rectification(case)
    if case.status is not CaseStatus.IN_REVIEW:
        raise IllegalTransition(case, CaseStatus.APPROVED, "a case is approved once it is in review")
    proposals = proposals_for(case)
    if not proposals:
        raise IllegalTransition(case, CaseStatus.APPROVED, "propose at least one correction first")
    tally = counts(proposals)
    if tally[S.PROPOSED.value]:
        raise IllegalTransition(
            case, CaseStatus.APPROVED, f"{tally[S.PROPOSED.value]} correction(s) still need a decision"
        )
    lifecycle.move(
        case,
        CaseStatus.APPROVED,
        actor,
        data={"approved": tally[S.APPROVED.value], "refused": tally[S.REFUSED.value]},
    )
    return case


def start_apply(case: Case, actor: User | None) -> Job:
    """Move an approved case to executing and queue the job that writes the
    approved values (after the commit). Again, while executing, once the
    stale corrections are decided anew."""
    case = _locked(case)
    _rectification(case)
    if case.status not in APPLICABLE:
        raise IllegalTransition(
            case, CaseStatus.EXECUTING, "corrections are applied once the case is approved"
        )
    proposals = proposals_for(case)
    if not proposals:
        # Approved some other way (e.g. through the item review): nothing to apply or confirm.
        raise IllegalTransition(case, CaseStatus.EXECUTING, "propose at least one correction first")
    pending = counts(proposals)
    if pending[S.PROPOSED.value] or pending[S.STALE.value]:
        raise IllegalTransition(case, None, "decide every correction (stale ones again) before applying")
    if case.status is CaseStatus.APPROVED:
        lifecycle.move(case, CaseStatus.EXECUTING, actor)
    job = enqueue(APPLY_TASK, case.id, actor.id if actor else None)
    lifecycle.audit_case("rectification.apply_requested", case, actor, {"job": job.id})
    return job
