"""Bearer-token authentication for API requests.

Whatever is wrong with a presented token (unknown, revoked, expired, its
user disabled), the answer is the same 401, so the answer does not help
anyone probing tokens. RFC 6750 asks for a ``WWW-Authenticate`` challenge.

Refused tokens count against the client's address; past the limit
(``LIMIT_API_TOKEN_FAILURES_IP``) every request from it gets a 429 until the
window passes, whatever it presents, so tokens cannot be guessed at speed.
Only failures count: a busy client with a good token is never slowed.
"""

from __future__ import annotations

import logging
import time

from flask import g, request
from limits import RateLimitItem, parse

from app.accounts import web
from app.accounts.models import User
from app.api.errors import ApiError
from app.api.models import ApiToken
from app.api.tokens import TokenRefused, authenticate
from app.extensions import db, limiter
from app.security import client_ip_key, configured_limit

log = logging.getLogger(__name__)

REALM = "rights-desk"


def _challenge(error: str | None = None) -> dict[str, str]:
    value = f'Bearer realm="{REALM}"'
    if error:
        value += f', error="{error}"'
    return {"WWW-Authenticate": value}


def _failure_limit() -> RateLimitItem:
    return parse(configured_limit("LIMIT_API_TOKEN_FAILURES_IP", "30 per 10 minutes")())


def _failure_key() -> str:
    return client_ip_key() + ":api-token-failures"


def _refuse_when_throttled() -> None:
    if not limiter.enabled:
        return
    item, key = _failure_limit(), _failure_key()
    try:
        allowed = limiter.limiter.test(item, key)
        reset_at = limiter.limiter.get_window_stats(item, key).reset_time if not allowed else 0.0
    except Exception:  # the limiter's store being down must not take the API with it
        log.warning("api token throttle unavailable", exc_info=True)
        return
    if not allowed:
        raise ApiError(
            429,
            "rate_limited",
            "Too many requests with an invalid API token from this address; try again later.",
            headers={"Retry-After": str(max(1, int(reset_at - time.time()) + 1))},
        )


def _count_failure() -> None:
    if not limiter.enabled:
        return
    try:
        limiter.limiter.hit(_failure_limit(), _failure_key())
    except Exception:  # as above
        log.warning("api token throttle unavailable", exc_info=True)


def require_token() -> tuple[User, ApiToken]:
    """Authenticate the current request or raise a 401 (or, after too many
    refused tokens from this address, a 429) ``ApiError``."""
    _refuse_when_throttled()
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
        _count_failure()
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
