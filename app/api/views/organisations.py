"""``/organisations``: the organisations in the caller's scope, and what an
administrator may change of one (whether it is a public authority; the rule
lives in ``app.register.authority``, shared with the console)."""

from __future__ import annotations

import uuid
from typing import Any

from app.accounts.models import Role
from app.accounts.scoping import NotInScope
from app.api.auth import current_user
from app.api.errors import ApiError
from app.api.routing import operation
from app.api.schemas import (
    OrganisationChangeSchema,
    OrganisationPageSchema,
    OrganisationSchema,
    PageQuerySchema,
)
from app.api.services import Page, organisation_for, organisations_for, paginate
from app.api.views import bp
from app.extensions import db
from app.orgs.models import Organisation
from app.register.authority import PUBLIC_AUTHORITY, set_public_authority
from app.register.errors import RegisterError


@operation(
    bp,
    "/organisations",
    "GET",
    summary="List organisations",
    tag="organisations",
    query=PageQuerySchema,
    response=OrganisationPageSchema,
)
def list_organisations(query: dict[str, Any]) -> Page[Organisation]:
    """Company staff see every organisation; school staff their own and, for a
    trust, its schools. Sorted by name."""
    return paginate(organisations_for(current_user()), query["page"], query["per_page"])


@operation(
    bp,
    "/organisations/<uuid:organisation_id>",
    "GET",
    summary="One organisation",
    tag="organisations",
    response=OrganisationSchema,
)
def get_organisation(organisation_id: uuid.UUID) -> Organisation:
    """An organisation outside the caller's scope is not found (404)."""
    return _organisation(organisation_id)


def _organisation(organisation_id: uuid.UUID) -> Organisation:
    try:
        return organisation_for(current_user(), organisation_id)
    except NotInScope:
        raise ApiError(404) from None


@operation(
    bp,
    "/organisations/<uuid:organisation_id>",
    "PATCH",
    summary="Change an organisation",
    tag="organisations",
    body=OrganisationChangeSchema,
    response=OrganisationSchema,
    roles=(Role.ADMIN,),
)
def update_organisation(organisation_id: uuid.UUID, body: dict[str, Any]) -> Organisation:
    """Send only the fields to change (an empty object changes nothing).
    Administrators only, as for an organisation's lawful bases.

    `public_authority`: legitimate interests (UK GDPR Art 6(1)(f)) do not
    apply to a public authority's processing in performing its tasks (Art
    6(1), last sentence). Making an organisation one is refused with 422 and
    a message on `public_authority` naming the categories for which
    legitimate interests is in effect there (its own basis, or its trust's
    or the register's that it takes) and, for a trust, the schools with
    legitimate interests as their own basis: change those bases first (PUT
    `/organisations/{organisation_id}/bases/{entry_id}`). Ceasing to be one
    is never refused. A change is audited with the old and the new value."""
    organisation = _organisation(organisation_id)
    if PUBLIC_AUTHORITY in body:
        try:
            set_public_authority(organisation, body[PUBLIC_AUTHORITY], current_user())
        except RegisterError as exc:
            db.session.rollback()
            raise ApiError(422, fields={name: [message] for name, message in exc.errors.items()}) from None
        db.session.commit()
    return organisation
