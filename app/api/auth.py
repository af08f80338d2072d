"""Bearer-token authentication for API requests.

Whatever is wrong with a presented token (unknown, revoked, expired, its
user disabled), the answer is the same 401, so the answer does not help
anyone probing tokens. RFC 6750 asks for a ``WWW-Authenticate`` challenge.
"""

from __future__ import annotations

import logging

from flask import g, request

from app.accounts import web
from app.accounts.models import User
from app.api.errors import ApiError
from app.api.models import ApiToken
from app.api.tokens import TokenRefused, authenticate
from app.extensions import db

log = logging.getLogger(__name__)

REALM = "rights-desk"


def _challenge(error: str | None = None) -> dict[str, str]:
    value = f'Bearer realm="{REALM}"'
    if error:
        value += f', error="{error}"'
    return {"WWW-Authenticate": value}


def require_token() -> tuple[User, ApiToken]:
    """Authenticate the current request or raise a 401 ``ApiError``."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise ApiError(
            401,
            "unauthorized",
            "Send an API token in the header 'Authorization: Bearer <token>'.",
            headers=_challenge(),
        )
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    try:
        if scheme.lower() != "bearer" or not credentials:
            raise TokenRefused("not_bearer")
        token = authenticate(credentials)
    except TokenRefused as refused:
        log.info("api token refused: %s", refused.reason)
        raise ApiError(
            401,
            "invalid_token",
            "The API token is invalid, expired or revoked.",
            headers=_challenge("invalid_token"),
        ) from None
    if db.session.is_modified(token):
        db.session.commit()  # last_used_at, on its own so a failing request still records use
    g.api_token = token
    g.api_user = token.user
    # Code shared with the console (``web.current_user()``) sees this user too.
    web.authenticate_for_request(token.user)
    return token.user, token


def current_user() -> User:
    return g.api_user


def current_token() -> ApiToken:
    return g.api_token
