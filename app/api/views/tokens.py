"""``/tokens``: the caller's API tokens."""

from __future__ import annotations

import uuid
from typing import Any

from app.accounts.scoping import NotInScope
from app.api.auth import current_user
from app.api.errors import ApiError
from app.api.models import ApiToken
from app.api.routing import operation
from app.api.schemas import (
    PageQuerySchema,
    TokenCreatedSchema,
    TokenCreateSchema,
    TokenPageSchema,
    TokenSchema,
)
from app.api.services import Page, paginate
from app.api.tokens import IssuedToken, get_token_for, issue_token, revoke_token, tokens_of
from app.api.views import bp
from app.extensions import db


@operation(
    bp,
    "/tokens",
    "GET",
    summary="List your API tokens",
    tag="tokens",
    query=PageQuerySchema,
    response=TokenPageSchema,
)
def list_tokens(query: dict[str, Any]) -> Page[ApiToken]:
    """Your own tokens, newest first; expired ones are listed until revoked,
    revoked ones not at all. The secret is never shown again after creation."""
    return paginate(tokens_of(current_user()), query["page"], query["per_page"])


@operation(
    bp,
    "/tokens",
    "POST",
    summary="Create an API token",
    tag="tokens",
    body=TokenCreateSchema,
    response=TokenCreatedSchema,
    status=201,
)
def create_token(body: dict[str, Any]) -> dict[str, Any]:
    """Creates a token for yourself. The response holds the token, once."""
    user = current_user()
    issued: IssuedToken = issue_token(user, name=body["name"], days=body["expires_in_days"], actor=user)
    db.session.commit()
    shown = {name: getattr(issued.token, name) for name in TokenSchema().fields}
    return {**shown, "token": issued.secret}


@operation(bp, "/tokens/<uuid:token_id>", "GET", summary="One API token", tag="tokens", response=TokenSchema)
def get_token(token_id: uuid.UUID) -> ApiToken:
    """Your own token; administrators may see anyone's. Others are not found."""
    try:
        return get_token_for(current_user(), token_id)
    except NotInScope:
        raise ApiError(404) from None


@operation(
    bp,
    "/tokens/<uuid:token_id>",
    "DELETE",
    summary="Revoke an API token",
    tag="tokens",
    response=TokenSchema,
)
def delete_token(token_id: uuid.UUID) -> ApiToken:
    """Revokes your own token (administrators: anyone's) at once and returns
    it, for the last time: afterwards it is not found."""
    try:
        token = revoke_token(current_user(), token_id)
    except NotInScope:
        raise ApiError(404) from None
    db.session.commit()
    return token
