"""``/me``: who the token belongs to."""

from __future__ import annotations

from app.accounts.models import User
from app.api.auth import current_user
from app.api.routing import operation
from app.api.schemas import UserSchema
from app.api.views import bp


@operation(bp, "/me", "GET", summary="The signed-in staff user", tag="me", response=UserSchema)
def me() -> User:
    """The staff account the bearer token belongs to."""
    return current_user()
