"""``/organisations``: the organisations in the caller's scope."""

from __future__ import annotations

import uuid
from typing import Any

from app.accounts.scoping import NotInScope
from app.api.auth import current_user
from app.api.errors import ApiError
from app.api.routing import operation
from app.api.schemas import OrganisationPageSchema, OrganisationSchema, PageQuerySchema
from app.api.services import Page, organisation_for, organisations_for, paginate
from app.api.views import bp
from app.orgs.models import Organisation


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
    try:
        return organisation_for(current_user(), organisation_id)
    except NotInScope:
        raise ApiError(404) from None
