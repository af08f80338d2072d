"""Restriction (Art 18), objections (Art 21) and recipients (Art 19) over
the API.

``/cases/<reference>/restriction`` shows the subject's confirmed records,
which are restricted, the restriction history, any scheduled lift and the
objections (audited: the reasons may describe the dispute); ``POST``
restricts, ``…/lift`` tells the requester now and schedules the lift for a
later day (Art 18(3)), ``…/lift/cancel`` cancels it. ``/cases/<reference>/objections`` records an
objection and ``…/<id>/decision`` decides it. ``/cases/<reference>/recipients``
lists who received the data and the notices sent. Cases of other
organisations are not found (support-access grants: ``support_grants``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.api.auth import current_user
from app.api.errors import ApiError
from app.api.routing import operation
from app.api.views import bp
from app.api.views.cases import case_in_scope
from app.api.views.restriction_schemas import (
    OBJECTION_COMPUTED,
    LiftSchema,
    ObjectionCreateSchema,
    ObjectionDecisionSchema,
    ObjectionSchema,
    ReasonSchema,
    RecipientsSchema,
    RestrictionStateSchema,
)
from app.audit.services import record
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case
from app.extensions import db
from app.recipients import services as recipients
from app.restriction import lifting, objections, services
from app.restriction.models import Objection
from app.restriction.services import RestrictionConflict, RestrictionError

TAG = "restriction"
# No record confirmed yet, everything restricted already, nothing to lift
# or cancel, or a lift already scheduled; for objections, a case that does
# not take them now, or an objection decided already.
_CONFLICT = (409, 422)


def _refused(exc: RestrictionError | IllegalTransition) -> ApiError:
    db.session.rollback()
    if isinstance(exc, IllegalTransition):
        return ApiError(409, "illegal_transition", str(exc))
    if isinstance(exc, RestrictionConflict):
        return ApiError(409, message="; ".join(exc.errors.values()))
    return ApiError(422, fields={name: [message] for name, message in exc.errors.items()})


def _changed(reference: str, change: Callable[[Case], object]) -> dict[str, Any]:
    """Apply ``change`` to the case in scope, commit, and answer with the
    restriction's state; a refusal answers 409 or 422 (``_refused``)."""
    case = case_in_scope(reference)
    try:
        change(case)
    except RestrictionError as exc:
        raise _refused(exc) from None
    db.session.commit()
    return _state(case)


def _state(case: Case) -> dict[str, Any]:
    rows = services.active_for(case)
    active = {(r.person_kind, r.person_id) for r in rows}
    scheduled = next((r for r in rows if r.lift_on is not None), None)
    return {
        "records": [
            {"person_kind": kind, "person_id": record_id, "restricted": (kind, record_id) in active}
            for kind, record_id in services.subject_records(case)
        ],
        "lift_on": scheduled.lift_on if scheduled else None,
        "lift_notified_at": scheduled.lift_notified_at if scheduled else None,
        "restrictions": services.restrictions_for(case),
        "objections": [_objection(case, o) for o in objections.objections_for(case)],
    }


def _objection(case: Case, objection: Objection) -> dict[str, Any]:
    """An objection as ``ObjectionSchema`` shows it, with its basis at the
    case's organisation (the recorded one once decided)."""
    shown = {
        name: getattr(objection, name) for name in ObjectionSchema().fields if name not in OBJECTION_COMPUTED
    }
    basis = objections.basis_decided_on(case, objection)
    return {
        **shown,
        "basis": basis.basis if basis is not None else None,
        "basis_label": basis.basis.label if basis is not None else None,
        "outside_article_21": objections.outside_article_21(case, objection) is not None,
    }


@operation(
    bp,
    "/cases/<reference>/restriction",
    "GET",
    summary="The subject's records, their restriction and the objections",
    tag=TAG,
    response=RestrictionStateSchema,
)
def get_restriction(reference: str) -> dict[str, Any]:
    case = case_in_scope(reference)
    record(
        "restriction.viewed",
        actor_type="user",
        actor_id=current_user().id,
        object_type="case",
        object_id=case.id,
    )
    db.session.commit()
    return _state(case)


@operation(
    bp,
    "/cases/<reference>/restriction",
    "POST",
    summary="Restrict the subject's confirmed records",
    tag=TAG,
    errors=_CONFLICT,
    body=ReasonSchema,
    response=RestrictionStateSchema,
    status=201,
)
def restrict(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Every confirmed record of the subject is kept in storage only until
    lifted; the recipients of the data are told (Art 19). 409 when no record
    is confirmed as the subject's yet (confirm the subject's records first),
    or when every confirmed record is restricted already."""
    return _changed(reference, lambda case: services.restrict(case, current_user(), body["reason"]))


@operation(
    bp,
    "/cases/<reference>/restriction/lift",
    "POST",
    summary="Tell the requester now, and lift the restriction on a later day",
    tag=TAG,
    errors=_CONFLICT,
    body=LiftSchema,
    response=RestrictionStateSchema,
)
def lift_restriction(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """The requester is emailed the reason and the day now, before it is
    lifted (Art 18(3)); the restriction stays until ``lift_on`` (after today,
    within a year), when it is lifted and the recipients are told. 409 when
    nothing is restricted or a lift is already scheduled."""
    return _changed(
        reference, lambda case: lifting.schedule_lift(case, current_user(), body["reason"], body["lift_on"])
    )


@operation(
    bp,
    "/cases/<reference>/restriction/lift/cancel",
    "POST",
    summary="Cancel a scheduled lift: the restriction stays",
    tag=TAG,
    errors=(409,),
    response=RestrictionStateSchema,
)
def cancel_restriction_lift(reference: str) -> dict[str, Any]:
    """The dispute goes on: the requester is told the restriction stays.
    409 when no lift is scheduled."""
    return _changed(reference, lambda case: lifting.cancel_lift(case, current_user()))


@operation(
    bp,
    "/cases/<reference>/objections",
    "POST",
    summary="Record an objection to a processing purpose",
    tag=TAG,
    errors=_CONFLICT,
    body=ObjectionCreateSchema,
    response=ObjectionSchema,
    status=201,
)
def create_objection(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """409 when the case is not an objection request, or is no longer to be
    answered (answered, closed, paused, refused or withdrawn): a decision
    then would reach the requester in no letter."""
    case = case_in_scope(reference)
    try:
        objection = objections.record_objection(
            case,
            current_user(),
            purpose=body.get("purpose"),
            register_entry_id=body.get("register_entry_id"),
            consent_purpose=body.get("consent_purpose"),
            direct_marketing=body.get("direct_marketing", False),
        )
    except (RestrictionError, IllegalTransition) as exc:
        raise _refused(exc) from None
    db.session.commit()
    return _objection(case, objection)


@operation(
    bp,
    "/cases/<reference>/objections/decision",
    "POST",
    summary="Decide an objection: uphold, reject, or outside the right to object (no_right)",
    tag=TAG,
    errors=_CONFLICT,
    body=ObjectionDecisionSchema,
    response=ObjectionSchema,
)
def decide_objection(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Upheld: the processing stops (a consent-based purpose's consent is
    withdrawn in the ledger). Rejected: ``grounds`` must state the compelling
    legitimate grounds; an objection to direct marketing or to processing on
    consent cannot be rejected. No right: the processing is used on a basis
    Art 21(1) does not reach; no ``grounds`` are given, and
    ``not_direct_marketing`` must be true (direct marketing can always be
    objected to), else 422 on that field. The basis the decision rested on
    is recorded with it. 409 when the objection is decided already, or the
    case is not an objection request still to be answered."""
    case = case_in_scope(reference)
    objection = db.session.get(Objection, body["objection_id"])
    if objection is None or objection.case_id != case.id:
        raise ApiError(422, fields={"objection_id": ["No such objection on this case"]})
    try:
        if body["decision"] == "no_right":
            objections.decide_no_right(
                case,
                objection,
                current_user(),
                not_direct_marketing=body.get("not_direct_marketing", False),
                grounds=body.get("grounds"),
            )
        else:
            uphold = body["decision"] == "upheld"
            objections.decide_objection(
                case, objection, current_user(), uphold=uphold, grounds=body.get("grounds")
            )
    except (RestrictionError, IllegalTransition) as exc:
        raise _refused(exc) from None
    db.session.commit()
    return _objection(case, objection)


@operation(
    bp,
    "/cases/<reference>/recipients",
    "GET",
    summary="Who received the subject's data, and the notices sent (Art 19)",
    tag=TAG,
    response=RecipientsSchema,
)
def get_recipients(reference: str) -> dict[str, Any]:
    case = case_in_scope(reference)
    return {"recipients": recipients.recipients_for_requester(case), "notices": recipients.notices_for(case)}
