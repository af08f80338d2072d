"""Support-access grants over the API: school users' time-limited
permissions for the support team to look at a record, and their uses.

``/support-grants`` lists (paged) and gives grants; ``…/revoke`` withdraws
one. ``/support-grants/uses`` is where the company's support tooling records
that an agent (the caller) looked at a record under a grant; a grant that
does not cover the look at that moment answers 409 and logs nothing.
``GET /support-grants/uses`` lists the uses from the access log, of every
grant in scope or of one (``grant_id``). Grants of other organisations are
not found. The rules live in ``app.sources.access_log.grants``.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.accounts.models import Role
from app.accounts.scoping import NotInScope, organisation_ids_for
from app.api.auth import current_user
from app.api.errors import ApiError
from app.api.routing import operation
from app.api.schemas import PageQuerySchema
from app.api.services import Page, paginate
from app.api.views import bp
from app.api.views.support_grant_schemas import (
    GrantCreateSchema,
    GrantPageSchema,
    GrantRevokeSchema,
    GrantSchema,
    UseCreateSchema,
    UseListQuerySchema,
    UsePageSchema,
    UseSchema,
)
from app.audit.services import record
from app.extensions import db
from app.sources.access_log import grants
from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant

TAG = "support-access"


def _refused(exc: grants.GrantError) -> ApiError:
    db.session.rollback()
    return ApiError(422, fields={name: [message] for name, message in exc.errors.items()})


def _view(given: SupportAccessGrant) -> dict[str, Any]:
    shown = {name: getattr(given, name) for name in GrantSchema().fields if name != "state"}
    return {**shown, "state": grants.state(given)}


def _named_grant(grant_id: uuid.UUID) -> SupportAccessGrant:
    # A grant named in a body is a field error, as for the case endpoints'
    # body ids; only a path names a resource that is "not found".
    try:
        return grants.grant_in_scope(current_user(), grant_id)
    except NotInScope:
        raise ApiError(422, fields={"grant_id": ["No such permission"]}) from None


@operation(
    bp,
    "/support-grants",
    "GET",
    summary="Support-access permissions, newest first",
    tag=TAG,
    query=PageQuerySchema,
    response=GrantPageSchema,
)
def list_support_grants(query: dict[str, Any]) -> Page[dict[str, Any]]:
    scoped = grants.grants_query(organisation_ids_for(current_user()))
    found = paginate(scoped, query["page"], query["per_page"])
    return Page([_view(g) for g in found.items], found.page, found.per_page, found.total)


@operation(
    bp,
    "/support-grants",
    "POST",
    summary="Give the support team permission to look at a record",
    tag=TAG,
    errors=(422,),
    body=GrantCreateSchema,
    response=GrantSchema,
    status=201,
    roles=(Role.SCHOOL,),
)
def create_support_grant(body: dict[str, Any]) -> dict[str, Any]:
    """A time-limited consent for one member of the support team, named by
    their email (or, failing that, their name); every use is in the access
    log, and one not covered by an active grant is refused."""
    try:
        given = grants.grant(
            current_user(),
            agent_email=body.get("agent_email"),
            agent_name=body.get("agent_name"),
            purpose=body["purpose"],
            ticket_id=body.get("ticket_id"),
            scope=body.get("scope"),
            days=body.get("days"),
        )
    except grants.GrantError as exc:
        raise _refused(exc) from None
    db.session.commit()
    return _view(given)


@operation(
    bp,
    "/support-grants/revoke",
    "POST",
    summary="Withdraw a support-access permission",
    tag=TAG,
    errors=(422,),
    body=GrantRevokeSchema,
    response=GrantSchema,
)
def revoke_support_grant(body: dict[str, Any]) -> dict[str, Any]:
    """Withdrawing is as easy as giving: any user of the organisation (or
    company staff) may do it. A grant of another organisation is not found."""
    given = _named_grant(body["grant_id"])
    try:
        grants.revoke(given, current_user())
    except grants.GrantError as exc:
        raise _refused(exc) from None
    db.session.commit()
    return _view(given)


@operation(
    bp,
    "/support-grants/uses",
    "POST",
    summary="Record that you looked at a record under a permission",
    tag=TAG,
    errors=(409, 422),
    body=UseCreateSchema,
    response=UseSchema,
    status=201,
    roles=grants.SUPPORT_ROLES,
)
def record_support_grant_use(body: dict[str, Any]) -> AccessLogEntry:
    """For the support tooling, as the agent who looked: writes one
    access-log entry naming the grant. 409 (nothing logged) when the grant
    has expired, was withdrawn, does not start yet, names another member of
    the support team or the record is not of the organisation that gave it."""
    given = _named_grant(body["grant_id"])
    try:
        entry = grants.use(
            given,
            current_user(),
            person_kind=body["person_kind"],
            person_id=body["person_id"],
            area=body["area"],
            action=body["action"],
        )
    except grants.GrantError as exc:
        raise _refused(exc) from None
    except grants.GrantRefused as exc:
        db.session.rollback()
        raise ApiError(409, "grant_refused", str(exc)) from None
    db.session.commit()
    return entry


@operation(
    bp,
    "/support-grants/uses",
    "GET",
    summary="Uses of support-access permissions, newest first",
    tag=TAG,
    query=UseListQuerySchema,
    response=UsePageSchema,
)
def list_support_grant_uses(query: dict[str, Any]) -> Page[AccessLogEntry]:
    """Every look at a record made under a permission of your organisations,
    from the access log (ids and codes); ``grant_id`` filters to one
    permission (none of another organisation's are listed)."""
    user = current_user()
    grant_id = query["grant_id"]
    # The log says which records were looked at: reading it is audited.
    record(
        "support_access.uses_viewed",
        actor_type="user",
        actor_id=user.id,
        object_type="support_access_grant" if grant_id else None,
        object_id=grant_id,
        data={"page": query["page"]},
    )
    db.session.commit()
    return paginate(grants.uses_query(organisation_ids_for(user), grant_id), query["page"], query["per_page"])
