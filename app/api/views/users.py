"""``/users``: staff accounts, for the company's administrators."""

from __future__ import annotations

from typing import Any

from app.accounts.models import Role, User
from app.api.auth import current_user
from app.api.routing import operation
from app.api.schemas import PageQuerySchema, UserPageSchema
from app.api.services import Page, paginate, staff_list
from app.api.views import bp


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
