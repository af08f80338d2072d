"""``/register``: the processing register, read by every staff role,
corrected by admins."""

from __future__ import annotations

import uuid
from typing import Any

from app.accounts.models import Role
from app.api.auth import current_user
from app.api.errors import ApiError
from app.api.register_schemas import RegisterChangeSchema, RegisterEntrySchema, RegisterListSchema
from app.api.routing import operation
from app.api.views import bp
from app.extensions import db
from app.register import services
from app.register.models import RegisterEntry


def _entry(entry_id: uuid.UUID) -> RegisterEntry:
    try:
        return services.entry(entry_id)
    except LookupError:
        raise ApiError(404) from None


@operation(
    bp,
    "/register",
    "GET",
    summary="The processing register",
    tag="register",
    response=RegisterListSchema,
)
def list_register() -> dict[str, Any]:
    """One entry per store and category: the Art 15 facts response letters quote."""
    return {"items": services.entries()}


@operation(
    bp,
    "/register/<uuid:entry_id>",
    "GET",
    summary="One register entry",
    tag="register",
    response=RegisterEntrySchema,
)
def get_register_entry(entry_id: uuid.UUID) -> RegisterEntry:
    return _entry(entry_id)


@operation(
    bp,
    "/register/<uuid:entry_id>",
    "PATCH",
    summary="Correct a register entry",
    tag="register",
    body=RegisterChangeSchema,
    response=RegisterEntrySchema,
    roles=(Role.ADMIN,),
)
def update_register_entry(entry_id: uuid.UUID, body: dict[str, Any]) -> RegisterEntry:
    """Send only the fields to change (an empty object changes nothing); a
    change is audited (field names only)."""
    entry = _entry(entry_id)
    try:
        services.update_entry(entry, body, current_user())
    except services.RegisterError as exc:
        db.session.rollback()
        raise ApiError(422, fields={name: [message] for name, message in exc.errors.items()}) from None
    db.session.commit()
    return entry
