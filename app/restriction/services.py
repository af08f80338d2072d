"""Art 18: restricting a subject's confirmed records while a dispute runs.

Restricting a case marks each person record the DPO confirmed as the
subject's (``CaseCandidate``, decision confirmed, about the subject) with a
``Restriction`` row. While a row is active the record is in storage only:

- the stores show it as restricted: ``is_restricted`` answers for a batch of
  ids, for a source's ``collect()`` and for the console;
- nothing deletes or anonymises it: each restriction places a legal hold
  (``app.rights.models.LegalHold``) on its record and releases it when
  lifted, so the retention sweeper and the erasure plan, which already
  honour holds, need nothing of their own.

Lifting is scheduled a day or more ahead, and the requester told at once
(Art 18(3)); the daily task lifts it on that day (``app.restriction.lifting``).
Both starting and lifting notify the recipients (``app.recipients``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record
from app.cases import lifecycle
from app.cases.models import Case
from app.collect.identity import SUBJECT
from app.collect.models import CaseCandidate, Decision
from app.db import new_uuid, utcnow
from app.extensions import db
from app.recipients.services import notify_recipients
from app.restriction.models import Restriction
from app.rights.models import HoldSubject, LegalHold
from app.sources.protocol import PersonKind
from app.sources.validation import has_control_characters

MAX_REASON = 2000


class RestrictionError(ValueError):
    """Field messages for a restriction that cannot be started or lifted."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


class RestrictionConflict(RestrictionError):
    """The case's state does not allow it (no record confirmed yet,
    everything already restricted, nothing to lift or cancel, a lift already
    scheduled): the API answers 409 rather than 422."""


# Nothing is restricted until the DPO has said which records are the
# subject's: the request is sound, the case is not at that step yet.
NOTHING_CONFIRMED = (
    "No record is confirmed as the subject's yet. Confirm the subject's records first, then restrict them."
)
# Restricting again while the restriction is in force changes nothing.
ALREADY_RESTRICTED = (
    "The subject's records are already restricted, so there is nothing more to restrict. The restriction "
    "stays until it is lifted."
)


def clean_reason(value: object, field: str = "reason") -> str:
    if not isinstance(value, str) or not value.strip():
        raise RestrictionError({field: "Give the reason"})
    text = value.strip()
    if len(text) > MAX_REASON:
        raise RestrictionError({field: f"Keep the reason under {MAX_REASON} characters"})
    if has_control_characters(text):
        raise RestrictionError({field: "The reason contains characters that cannot be stored"})
    return text


def subject_records(case: Case) -> list[tuple[PersonKind, uuid.UUID]]:
    """The person records confirmed as the subject's on this case."""
    rows = db.session.execute(
        select(CaseCandidate.kind, CaseCandidate.record_id)
        .where(
            CaseCandidate.case_id == case.id,
            CaseCandidate.decision == Decision.CONFIRMED,
            CaseCandidate.about == SUBJECT,
        )
        .order_by(CaseCandidate.kind, CaseCandidate.record_id)
    )
    return [(PersonKind(kind), record_id) for kind, record_id in rows]


def restrictions_for(case: Case) -> Sequence[Restriction]:
    return db.session.scalars(
        select(Restriction).where(Restriction.case_id == case.id).order_by(Restriction.started_at)
    ).all()


def active_for(case: Case) -> list[Restriction]:
    return [r for r in restrictions_for(case) if r.active]


def restrict(case: Case, actor: User, reason: object) -> list[Restriction]:
    """Restrict every confirmed record of the case not already restricted by
    it, and tell the recipients. The caller commits. ``RestrictionConflict``
    when no record is confirmed as the subject's, or every one is restricted
    already."""
    text = clean_reason(reason)
    records = subject_records(case)
    if not records:
        raise RestrictionConflict({"case": NOTHING_CONFIRMED})
    already = {(r.person_kind, r.person_id) for r in active_for(case)}
    now = utcnow()
    started: list[Restriction] = []
    for kind, record_id in records:
        if (kind, record_id) in already:
            continue
        hold = LegalHold(
            id=new_uuid(),
            subject_kind=HoldSubject(kind.value),
            subject_id=record_id,
            reason=f"Restricted under UK GDPR Article 18 for {case.reference or case.id}: {text}",
            placed_by_id=actor.id,
            placed_at=now,
        )
        started.append(
            Restriction(
                id=new_uuid(),
                case_id=case.id,
                organisation_id=case.organisation_id,
                person_kind=kind,
                person_id=record_id,
                reason=text,
                started_at=now,
                started_by_id=actor.id,
                hold_id=hold.id,
            )
        )
        db.session.add(hold)
    if not started:
        raise RestrictionConflict({"case": ALREADY_RESTRICTED})
    db.session.flush()  # the holds before the restrictions that name them
    db.session.add_all(started)
    lifecycle.add_event(case, "restricted", actor, {"records": len(started)})
    record(
        "restriction.started",
        actor_type="user",
        actor_id=actor.id,
        object_type="case",
        object_id=case.id,
        data={"restriction_ids": [str(r.id) for r in started]},
    )
    db.session.flush()
    notify_recipients(case, "restriction", actor)
    return started
