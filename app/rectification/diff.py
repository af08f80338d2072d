"""The before/after view of a case's corrections, field by field.

Each row holds the value the proposal was made on, the value asked for and
the value the store holds now (so a reviewer sees a correction that has gone
stale before applying it), with the changed parts of the text marked.
Reading it is a look at personal data, so ``view`` records an audit event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from difflib import SequenceMatcher

from app.accounts.models import User
from app.cases import lifecycle
from app.cases.models import Case
from app.extensions import db
from app.rectification.fields import KIND_LABELS, STORES, field_for, read
from app.rectification.models import ProposalStatus, RectificationProposal
from app.rectification.services import proposals_for


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True)
class DiffRow:
    proposal_id: uuid.UUID
    kind: str
    record_id: uuid.UUID
    field: str
    label: str
    record_label: str
    before: str | None
    after: str | None
    current: str | None  # what the store holds now; None when the record is gone
    before_segments: tuple[Segment, ...]
    after_segments: tuple[Segment, ...]
    status: str
    reason: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def drifted(self) -> bool:
        """The store no longer holds the before value (nor, once applied, the after)."""
        expected = self.after if self.status == ProposalStatus.APPLIED.value else self.before
        return self.current != expected


def segments(before: str | None, after: str | None) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """The two values cut into runs, the runs that differ marked changed."""
    old, new = before or "", after or ""
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        same = tag == "equal"
        if i2 > i1:
            left.append(Segment(old[i1:i2], not same))
        if j2 > j1:
            right.append(Segment(new[j1:j2], not same))
    return tuple(left), tuple(right)


def _row(proposal: RectificationProposal) -> DiffRow:
    spec = field_for(proposal.kind, proposal.field)
    record = db.session.get(STORES[proposal.kind], proposal.record_id)
    left, right = segments(proposal.before_value, proposal.proposed_value)
    return DiffRow(
        proposal_id=proposal.id,
        kind=proposal.kind.value,
        record_id=proposal.record_id,
        field=proposal.field,
        label=spec.label,
        record_label=KIND_LABELS[proposal.kind],
        before=proposal.before_value,
        after=proposal.proposed_value,
        current=read(record, spec) if record is not None else None,
        before_segments=left,
        after_segments=right,
        status=proposal.status.value,
        reason=proposal.reason,
    )


def diff(case: Case) -> list[DiffRow]:
    return [_row(proposal) for proposal in proposals_for(case)]


def view(case: Case, actor: User) -> list[DiffRow]:
    """The diff, audited as a view of the subject's data (caller commits)."""
    rows = diff(case)
    lifecycle.audit_case("rectification.viewed", case, actor, {"proposals": len(rows)})
    return rows
