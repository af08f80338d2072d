"""Organisation scoping: the one place that decides which organisations a
staff user may see.

Company staff (admin, caseworker) see every organisation. A school user sees
their own organisation and, when it is a trust, the schools in it. Every
query over organisation-owned rows goes through ``scope_query`` or
``get_in_scope``; an object outside the scope is reported as not found, never
as forbidden, so its existence is not disclosed.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select, false
from sqlalchemy.orm import InstrumentedAttribute

from app.accounts.models import Role, User
from app.extensions import db
from app.orgs.services import covered_organisation_ids

T = TypeVar("T")


class NotInScope(LookupError):
    """The object does not exist or lies outside the user's organisations."""


def sees_every_organisation(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.CASEWORKER)


def organisation_ids_for(user: User) -> list[uuid.UUID] | None:
    """The organisations ``user`` may see, or ``None`` for all of them."""
    if sees_every_organisation(user):
        return None
    if user.organisation_id is None:  # a school user always has one; be safe
        return []
    return covered_organisation_ids(user.organisation_id)


def scope_query(
    query: Select[Any], user: User, organisation_column: InstrumentedAttribute[Any]
) -> Select[Any]:
    """Restrict ``query`` to rows whose ``organisation_column`` the user may see."""
    allowed = organisation_ids_for(user)
    if allowed is None:
        return query
    if not allowed:
        return query.where(false())
    return query.where(organisation_column.in_(allowed))


def can_see_organisation(user: User, organisation_id: uuid.UUID | None) -> bool:
    allowed = organisation_ids_for(user)
    return allowed is None or (organisation_id is not None and organisation_id in allowed)


def get_in_scope(
    model: type[T], object_id: uuid.UUID, user: User, organisation_attr: str = "organisation_id"
) -> T:
    """Load one object by id, or raise ``NotInScope`` if it is missing or
    belongs to an organisation the user may not see."""
    found = db.session.get(model, object_id)
    if found is None or not can_see_organisation(user, getattr(found, organisation_attr)):
        raise NotInScope(f"{model.__name__} {object_id} not found")
    return found
