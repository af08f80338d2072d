"""What the API may show a user: paging, organisations in scope, staff.

Organisation scoping is not decided here; every organisation query goes
through ``app.accounts.scoping``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from app.accounts.models import Role, User
from app.accounts.scoping import get_in_scope, scope_query
from app.extensions import db
from app.orgs.models import Organisation

T = TypeVar("T")

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
# Far beyond any real listing, and keeps OFFSET well inside a 64-bit integer.
MAX_PAGE = 100_000


class NotPermitted(PermissionError):
    """The user's role may not do this at all (unlike ``NotInScope``, which
    hides a particular object)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page)


def page_number(given: str | None) -> int:
    """A page number from a console page's query string: 1 for anything
    that is not a whole number from 1 to ``MAX_PAGE`` (the length is checked
    before converting, as ``int`` refuses very long strings of digits)."""
    text = given or ""
    if text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE)) and 1 <= int(text) <= MAX_PAGE:
        return int(text)
    return 1


def paginate(query: Select[Any], page: int, per_page: int) -> Page[Any]:
    """One page of ``query``, which must have a total order (ties broken by id)
    so that items never repeat or go missing between pages."""
    if not (1 <= page <= MAX_PAGE and 1 <= per_page <= MAX_PER_PAGE):
        raise ValueError("page or per_page out of range")
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, page, per_page, total)


def organisations_for(user: User) -> Select[tuple[Organisation]]:
    query = select(Organisation).order_by(Organisation.name, Organisation.id)
    return scope_query(query, user, Organisation.id)


def organisation_for(user: User, organisation_id: uuid.UUID) -> Organisation:
    """Raises ``NotInScope`` for an organisation the user may not see."""
    return get_in_scope(Organisation, organisation_id, user, "id")


def staff_list(actor: User) -> Select[tuple[User]]:
    """Every staff account; the company's administrators only."""
    if actor.role is not Role.ADMIN:
        raise NotPermitted("only administrators may list staff accounts")
    return select(User).order_by(User.email, User.id)
