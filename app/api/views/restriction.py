"""Restriction (Art 18), objections (Art 21), recipients (Art 19) and
support-access grants over the API.

``/cases/<reference>/restriction`` shows the subject's confirmed records,
which are restricted, the restriction history and the objections (audited:
the reasons may describe the dispute); ``POST`` restricts, ``…/lift`` tells
the requester and lifts. ``/cases/<reference>/objections`` records an
objection and ``…/<id>/decision`` decides it. ``/cases/<reference>/recipients``
lists who received the data and the notices sent. ``/support-grants`` are
school users' time-limited permissions for support staff to look at a record.
Cases and grants of other organisations are not found.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.accounts.models import Role
from app.accounts.scoping import can_see_organisation, organisation_ids_for
from app.api.auth import current_user
from app.api.errors import ApiError
from app.api.routing import operation
from app.api.views import bp
from app.api.views.cases import case_in_scope
from app.api.views.restriction_schemas import (
    GrantCreateSchema,
    GrantListSchema,
    GrantRevokeSchema,
    GrantSchema,
    ObjectionCreateSchema,
    ObjectionDecisionSchema,
    ObjectionSchema,
    ReasonSchema,
    RecipientsSchema,
    RestrictionStateSchema,
)
from app.audit.services import record
from app.cases.models import Case
from app.extensions import db
from app.recipients import services as recipients
from app.restriction import objections, services, support_access
from app.restriction.models import Objection
from app.restriction.services import RestrictionError
from app.sources.access_log.models import SupportAccessGrant

TAG = "restriction"
_ERRORS = (422,)


def _refused(exc: RestrictionError) -> ApiError:
    db.session.rollback()
    return ApiError(422, fields={name: [message] for name, message in exc.errors.items()})


def _state(case: Case) -> dict[str, Any]:
    active = {(r.person_kind, r.person_id) for r in services.active_for(case)}
    return {
        "records": [
            {"person_kind": kind, "person_id": record_id, "restricted": (kind, record_id) in active}
            for kind, record_id in services.subject_records(case)
        ],
        "restrictions": services.restrictions_for(case),
        "objections": objections.objections_for(case),
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
    errors=_ERRORS,
    body=ReasonSchema,
    response=RestrictionStateSchema,
    status=201,
)
def restrict(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Every confirmed record of the subject is kept in storage only until
    lifted; the recipients of the data are told (Art 19)."""
    case = case_in_scope(reference)
    try:
        services.restrict(case, current_user(), body["reason"])
    except RestrictionError as exc:
        raise _refused(exc) from None
    db.session.commit()
    return _state(case)


@operation(
    bp,
    "/cases/<reference>/restriction/lift",
    "POST",
    summary="Tell the requester, then lift the restriction",
    tag=TAG,
    errors=_ERRORS,
    body=ReasonSchema,
    response=RestrictionStateSchema,
)
def lift_restriction(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """The requester is emailed the reason before it is lifted (Art 18(3));
    the recipients are told it was lifted."""
    case = case_in_scope(reference)
    try:
        services.lift(case, current_user(), body["reason"])
    except RestrictionError as exc:
        raise _refused(exc) from None
    db.session.commit()
    return _state(case)


@operation(
    bp,
    "/cases/<reference>/objections",
    "POST",
    summary="Record an objection to a processing purpose",
    tag=TAG,
    errors=_ERRORS,
    body=ObjectionCreateSchema,
    response=ObjectionSchema,
    status=201,
)
def create_objection(reference: str, body: dict[str, Any]) -> Objection:
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
    except RestrictionError as exc:
        raise _refused(exc) from None
    db.session.commit()
    return objection


@operation(
    bp,
    "/cases/<reference>/objections/decision",
    "POST",
    summary="Uphold or reject an objection",
    tag=TAG,
    errors=_ERRORS,
    body=ObjectionDecisionSchema,
    response=ObjectionSchema,
)
def decide_objection(reference: str, body: dict[str, Any]) -> Objection:
    """Upheld: the processing stops (a consent-based purpose's consent is
    withdrawn in the ledger). Rejected: ``grounds`` must state the compelling
    legitimate grounds; a direct-marketing objection cannot be rejected."""
    case = case_in_scope(reference)
    objection = db.session.get(Objection, body["objection_id"])
    if objection is None or objection.case_id != case.id:
        raise ApiError(422, fields={"objection_id": ["No such objection on this case"]})
    try:
        objections.decide_objection(
            case, objection, current_user(), uphold=body["decision"] == "upheld", grounds=body.get("grounds")
        )
    except RestrictionError as exc:
        raise _refused(exc) from None
    db.session.commit()
    return objection


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


def _grant_view(given: SupportAccessGrant) -> dict[str, Any]:
    shown = {name: getattr(given, name) for name in GrantSchema().fields if name != "state"}
    return {**shown, "state": support_access.state(given)}


def _grant(grant_id: uuid.UUID) -> SupportAccessGrant:
    given = db.session.get(SupportAccessGrant, grant_id)
    if given is None or not can_see_organisation(current_user(), given.organisation_id):
        raise ApiError(422, fields={"grant_id": ["No such permission"]})
    return given


@operation(
    bp,
    "/support-grants",
    "GET",
    summary="Support-access permissions, newest first",
    tag=TAG,
    response=GrantListSchema,
)
def list_support_grants() -> dict[str, Any]:
    return {
        "items": [_grant_view(g) for g in support_access.grants_for(organisation_ids_for(current_user()))]
    }


@operation(
    bp,
    "/support-grants",
    "POST",
    summary="Give support staff permission to look at a record",
    tag=TAG,
    errors=_ERRORS,
    body=GrantCreateSchema,
    response=GrantSchema,
    status=201,
    roles=(Role.SCHOOL,),
)
def create_support_grant(body: dict[str, Any]) -> dict[str, Any]:
    """A time-limited consent for the named support agent; every use is in
    the access log, and an expired or withdrawn one is refused."""
    try:
        given = support_access.grant(
            current_user(),
            agent_name=body["agent_name"],
            purpose=body["purpose"],
            ticket_id=body.get("ticket_id"),
            scope=body.get("scope"),
            days=body.get("days"),
        )
    except RestrictionError as exc:
        raise _refused(exc) from None
    db.session.commit()
    return _grant_view(given)


@operation(
    bp,
    "/support-grants/revoke",
    "POST",
    summary="Withdraw a support-access permission",
    tag=TAG,
    errors=_ERRORS,
    body=GrantRevokeSchema,
    response=GrantSchema,
)
def revoke_support_grant(body: dict[str, Any]) -> dict[str, Any]:
    """Withdrawing is as easy as giving: any user of the organisation (or
    company staff) may do it. A grant of another organisation is not found."""
    given = _grant(body["grant_id"])
    try:
        support_access.revoke(given, current_user())
    except RestrictionError as exc:
        raise _refused(exc) from None
    db.session.commit()
    return _grant_view(given)
