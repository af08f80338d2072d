"""``/users``: staff accounts, for the company's administrators: listing,
inviting (the person chooses a password through an emailed link) and
withdrawing an invitation not accepted yet. The rules are
``app.accounts.invites``, shared with the console and the command line."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response

from app.accounts import invites
from app.accounts.invite_views import invite_link
from app.accounts.models import Role, User
from app.accounts.services import AccountError, get_user
from app.api.auth import current_user
from app.api.errors import ApiError
from app.api.routing import operation
from app.api.schemas import InvitedUserSchema, InviteSchema, PageQuerySchema, UserPageSchema, UserSchema
from app.api.services import Page, paginate, staff_list
from app.api.views import bp
from app.extensions import db

# The service names the form's fields; the API's body calls one differently.
_FIELDS = {"organisation": "organisation_id"}


@operation(
    bp,
    "/users",
    "GET",
    summary="List staff accounts",
    tag="users",
    query=PageQuerySchema,
    response=UserPageSchema,
    roles=(Role.ADMIN,),
)
def list_users(query: dict[str, Any]) -> Page[User]:
    """Administrators only; other roles get 403. Sorted by email."""
    return paginate(staff_list(current_user()), query["page"], query["per_page"])


@operation(
    bp,
    "/users",
    "POST",
    summary="Invite a member of staff",
    tag="users",
    body=InviteSchema,
    response=InvitedUserSchema,
    status=201,
    roles=(Role.ADMIN,),
)
def invite_user_view(body: dict[str, Any]) -> dict[str, Any]:
    """Creates the account switched off and emails a single-use link (72
    hours) to choose a password; the authenticator is set up at first
    sign-in. Inviting an address again replaces its link; a disabled
    account's owner is invited back with every old credential cleared. 422
    for an address an active account uses, a school user without an
    existing organisation, or an organisation for another role."""
    try:
        invited = invites.invite_user(
            body["email"],
            body["name"],
            body["role"],
            current_user(),
            invite_link,
            organisation_id=body["organisation_id"],
        )
    except AccountError as exc:
        db.session.rollback()
        raise ApiError(422, fields={_FIELDS.get(exc.field, exc.field): [exc.message]}) from None
    db.session.commit()
    shown = {name: getattr(invited.user, name) for name in UserSchema().fields}
    return {**shown, "invitation_expires_at": invited.expires_at, "rejoining": invited.rejoining}


@operation(
    bp,
    "/users/<uuid:user_id>/invitation",
    "DELETE",
    summary="Withdraw an invitation not accepted yet",
    tag="users",
    status=204,
    roles=(Role.ADMIN,),
)
def withdraw_invitation_view(user_id: uuid.UUID) -> Response:
    """The link stops working at once; the account stays switched off (and
    inviting the address again sends a new link). Idempotent. 404 for an
    account with no invitation waiting: active, or never invited."""
    user = get_user(user_id)
    if user is None or not invites.awaiting_acceptance(user):
        raise ApiError(404)
    invites.withdraw_invite(user, current_user())
    db.session.commit()
    return Response(status=204)
