"""The case lifecycle: one guarded transition table (DESIGN §4).

``move(case, to, actor)`` is the only way a case changes status. An illegal
move raises ``IllegalTransition`` naming both states; a legal one writes an
audit event (ids and state codes only) and a timeline ``CaseEvent`` in the
caller's transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import inspect

from app.accounts.models import User
from app.audit.services import clean_data, record
from app.cases.models import Case, CaseEvent, CaseStatus, RequestType
from app.db import new_uuid, utcnow
from app.extensions import db

S = CaseStatus

# Statuses a case can still be refused or withdrawn from (but for an erasure
# being carried out, ``ERASURE_UNDER_WAY``): the request is still to be
# answered and its clock runs (or is paused). The others are answered
# (responded, refused) or ended (withdrawn, closed).
ACTIVE: frozenset[CaseStatus] = frozenset(
    {S.SUBMITTED, S.AWAITING_IDENTITY, S.OPEN, S.GATHERING, S.IN_REVIEW, S.APPROVED, S.EXECUTING, S.PAUSED}
)
# Statuses a clarification question can pause.
PAUSABLE: frozenset[CaseStatus] = frozenset({S.OPEN, S.GATHERING, S.IN_REVIEW})
FINISHED: frozenset[CaseStatus] = frozenset({S.CLOSED, S.WITHDRAWN})
# Requests that change data go through an execution step once approved.
EXECUTED_TYPES: frozenset[RequestType] = frozenset({RequestType.ERASURE, RequestType.RECTIFICATION})
# Requests answered by a letter saying what was done (app.restriction.answers,
# app.restriction.consent_withdrawal), not by a response pack: their work (a
# restriction, the objections' decisions, the consents withdrawn) is done on
# an open case, with no gather or review to go through first.
ANSWERED_BY_LETTER: frozenset[RequestType] = frozenset(
    {RequestType.RESTRICTION, RequestType.OBJECTION, RequestType.CONSENT_WITHDRAWAL}
)
# Where such a request can be answered from, besides approved.
_ANSWERED_EARLY: frozenset[CaseStatus] = frozenset({S.OPEN, S.GATHERING, S.IN_REVIEW})

# Refusing or withdrawing: the moves every active case is offered, but for one.
_ENDINGS: frozenset[CaseStatus] = frozenset({S.REFUSED, S.WITHDRAWN})
# An erasure being carried out cannot be refused or withdrawn: its stores'
# jobs are changing records, and a refusal or withdrawal letter would tell
# the requester nothing happens while they go on (or half of them stop). It
# finishes with the certificate and the answer; an exception found late is
# recorded there, or the records restored from what the certificate lists.
ERASURE_UNDER_WAY = (
    "the erasure is being carried out, so it can no longer be refused or withdrawn; it ends with the "
    "erasure certificate and the letter saying what was erased and what was kept"
)

_FORWARD: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.SUBMITTED: frozenset({S.AWAITING_IDENTITY}),
    S.AWAITING_IDENTITY: frozenset({S.OPEN}),
    S.OPEN: frozenset({S.GATHERING, S.PAUSED, S.RESPONDED}),
    S.GATHERING: frozenset({S.IN_REVIEW, S.PAUSED, S.RESPONDED}),
    # Back to open only by reopening the search (``app.collect.reopen``).
    S.IN_REVIEW: frozenset({S.APPROVED, S.PAUSED, S.RESPONDED, S.OPEN}),
    S.APPROVED: frozenset({S.RESPONDED, S.EXECUTING}),
    S.EXECUTING: frozenset({S.RESPONDED}),
    S.PAUSED: PAUSABLE,  # only back to the state it came from (checked below)
    S.RESPONDED: frozenset({S.CLOSED}),
    S.REFUSED: frozenset({S.CLOSED}),
}

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    status: _FORWARD.get(status, frozenset()) | (_ENDINGS if status in ACTIVE else frozenset())
    for status in CaseStatus
}


class IllegalTransition(Exception):
    """A move the lifecycle does not allow."""

    def __init__(self, case: Case, to: CaseStatus | None, why: str = "") -> None:
        self.from_status = case.status
        self.to_status = to
        if to is None:  # an action, not a move, that the current status does not allow
            message = f"not possible while the case is {case.status.value}"
        else:
            message = f"a case cannot move from {case.status.value} to {to.value}"
        super().__init__(message + (f": {why}" if why else ""))


def allowed_moves(case: Case) -> set[CaseStatus]:
    return {to for to in TRANSITIONS[case.status] if _refusal(case, to) is None}


def _refusal(case: Case, to: CaseStatus, nothing_held: bool = False, reopened: bool = False) -> str | None:
    """Why ``case`` may not move to ``to``, or None when it may.
    ``nothing_held``: the search found no record of the subject, so any
    request is answered from open (``app.collect.nothing_held``).
    ``reopened``: what the gather built is discarded (``app.collect.reopen``)."""
    if to not in TRANSITIONS[case.status]:
        return "not in the lifecycle"
    if case.status is S.IN_REVIEW and to is S.OPEN and not reopened:
        return "the search is reopened with what the gather built discarded"
    if case.status is S.PAUSED and to in PAUSABLE and to is not case.resume_status:
        resumed = case.resume_status.value if case.resume_status else "unknown"
        return f"a paused case goes back to {resumed}"
    executed = case.request_type in EXECUTED_TYPES
    if case.status is S.APPROVED and to is S.EXECUTING and not executed:
        return f"only erasure and rectification are executed, not {case.request_type.value}"
    if case.status is S.APPROVED and to is S.RESPONDED and executed:
        return f"an approved {case.request_type.value} is executed before the response"
    if case.status is S.EXECUTING and to in _ENDINGS and case.request_type is RequestType.ERASURE:
        return ERASURE_UNDER_WAY
    if case.status is S.OPEN and to is S.RESPONDED and nothing_held:
        return None
    if case.status in _ANSWERED_EARLY and to is S.RESPONDED and case.request_type not in ANSWERED_BY_LETTER:
        kind = case.request_type.value
        return (
            "only restriction and objection requests, and consent withdrawals, are answered before approval, "
            f"not {kind}"
        )
    return None


def move(
    case: Case,
    to: CaseStatus | str,
    actor: User | None = None,
    *,
    data: dict[str, Any] | None = None,
    nothing_held: bool = False,
    reopened: bool = False,
) -> CaseEvent:
    """Move ``case`` to ``to`` or raise ``IllegalTransition``. Records the
    move. ``nothing_held`` is for the caller that has checked the search
    found nothing of the subject's (``app.collect.nothing_held``);
    ``reopened`` for the one that discarded the gather to search again
    (``app.collect.reopen``)."""
    to = CaseStatus(to)
    why = _refusal(case, to, nothing_held, reopened)
    if why is not None:
        raise IllegalTransition(case, to, why)
    before = case.status
    if to is S.PAUSED:
        case.resume_status = before
    elif before is S.PAUSED:
        case.resume_status = None
    case.status = to
    now = utcnow()
    case.updated_at = now
    if to is S.CLOSED:
        case.closed_at = now
    details = {"from": before.value, "to": to.value, **(data or {})}
    record(
        "case.status_changed",
        actor_type="user" if actor else "system",
        actor_id=actor.id if actor else None,
        object_type="case",
        object_id=case.id,
        data=details,
    )
    return add_event(case, "status_changed", actor, details)


def add_event(case: Case, kind: str, actor: User | None, data: dict[str, Any] | None = None) -> CaseEvent:
    """A timeline entry; ``data`` is checked like audit data (codes, ids, dates)."""
    event = CaseEvent(
        id=new_uuid(),
        case_id=case.id,
        at=utcnow(),
        actor_id=actor.id if actor else None,
        kind=kind,
        data=clean_data(data or {}, "data"),
    )
    db.session.add(event)
    state = inspect(case)
    # A timeline not loaded yet is left so: appending would load it (a
    # SELECT of every line) only to add one, and a later load finds the new
    # line anyway, as autoflush writes it first.
    if not (state.persistent and "events" in state.unloaded):
        case.events.append(event)
    return event


def audit_case(
    action: str,
    case: Case,
    actor: User | None,
    data: dict[str, Any] | None = None,
    *,
    nobody: str = "system",
) -> None:
    """An audit event about ``case`` by ``actor`` (a staff user) or, with no
    user, by ``nobody``: the system, or the requester on their status page."""
    record(
        action,
        actor_type="user" if actor else nobody,
        actor_id=actor.id if actor else None,
        object_type="case",
        object_id=case.id,
        data=data or {},
    )


def actor_id(actor: User | None) -> uuid.UUID | None:
    return actor.id if actor else None
