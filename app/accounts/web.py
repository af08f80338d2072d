"""The request side of sign-in: which user (if any) this request is, moving
session tokens in and out of the cookie, and the ``login_required`` guard.

A small stand-in for Flask-Login, built on the server-side sessions in
``app.accounts.sessions`` (its docstring explains the design). The cookie
holds one thing that matters, ``session["sid"]``: a random token. Whenever
privilege changes (sign-in steps, sign-out) the cookie is cleared and, if
the user goes on, refilled with a new token.

Other ways in (the API's bearer tokens) can call ``authenticate_for_request``
so that ``current_user()`` and the scoping helpers work the same there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, flash, redirect, request, session, url_for

from app.accounts import sessions, signin
from app.accounts.models import Role, SessionStage, StaffSession, User
from app.extensions import db
from app.security import forget_cached_csrf_token, rate_limit_key

SESSION_ID_KEY = "sid"
NEXT_KEY = "next"
_ENVIRON_KEY = "rightsdesk.auth"

F = TypeVar("F", bound=Callable[..., Any])

_ENDED_MESSAGES = {
    "idle": "You were signed out because you had not used Rights Desk for a while. Sign in again.",
    "absolute": "You were signed out because you signed in a long time ago. Sign in again.",
    "expired": "Signing in took too long. Start again.",
}


@dataclass(frozen=True)
class _Auth:
    check: sessions.SessionCheck
    bearer_user: User | None = None


def _resolve() -> _Auth:
    # Cached on the WSGI environ, which belongs to this one request (``g``
    # outlives requests when a test holds an application context open).
    cached = request.environ.get(_ENVIRON_KEY)
    if cached is not None:
        return cached
    check = sessions.check_session(session.get(SESSION_ID_KEY))
    if check.ended_reason:
        signin.record_session_end(check)
        db.session.commit()
        session.clear()
        forget_cached_csrf_token()
        message = _ENDED_MESSAGES.get(check.ended_reason)
        if message:
            flash(message, "info")
    elif check.touched:
        db.session.commit()
    auth = _Auth(check)
    request.environ[_ENVIRON_KEY] = auth
    return auth


def _session_at(stage: SessionStage) -> StaffSession | None:
    row = _resolve().check.staff_session
    return row if row is not None and row.stage is stage else None


def current_user() -> User | None:
    """The signed-in user of this request (cookie session or bearer), or None."""
    auth = _resolve()
    if auth.bearer_user is not None:
        return auth.bearer_user
    row = _session_at(SessionStage.ACTIVE)
    return row.user if row is not None else None


def current_staff_session() -> StaffSession | None:
    """The active cookie session of this request (None for bearer requests)."""
    return _session_at(SessionStage.ACTIVE)


def pending_sign_in() -> StaffSession | None:
    """The half-way session (password accepted, second factor to come)."""
    return _session_at(SessionStage.PENDING)


def authenticate_for_request(user: User) -> None:
    """Treat this request as made by ``user`` without any cookie session,
    for bearer-token API requests. Check ``user_can_authenticate`` first."""
    request.environ[_ENVIRON_KEY] = _Auth(sessions.SessionCheck(), bearer_user=user)


def session_token() -> str | None:
    return session.get(SESSION_ID_KEY)


def start_cookie_session(token: str, *, keep_next: bool = False) -> None:
    """Rotate: drop everything the cookie held (CSRF token, flashes, any old
    session id) and hold only the new token, so nothing from before survives."""
    next_target = session.get(NEXT_KEY) if keep_next else None
    session.clear()
    forget_cached_csrf_token()
    session[SESSION_ID_KEY] = token
    if next_target:
        session[NEXT_KEY] = next_target
    request.environ.pop(_ENVIRON_KEY, None)


def clear_cookie_session() -> None:
    session.clear()
    forget_cached_csrf_token()
    request.environ.pop(_ENVIRON_KEY, None)


def forget_session_token() -> None:
    """Drop the session id but keep the rest (the CSRF token of the form
    about to be shown again)."""
    session.pop(SESSION_ID_KEY, None)
    request.environ.pop(_ENVIRON_KEY, None)


def login_required(view: F) -> F:
    """Only for fully signed-in users; others go to sign-in and come back."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("accounts.sign_in", next=target))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Refuse (403) a signed-in user whose role is not one of ``roles``."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None or user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def account_key_from_form() -> str:
    """Rate-limit key for the sign-in form: the account named in it."""
    return rate_limit_key("account", request.form.get("email", ""))


def account_key_from_pending() -> str:
    """Rate-limit key for code entry: the account half-way through sign-in."""
    pending = pending_sign_in()
    return rate_limit_key("account", str(pending.user_id) if pending else "no-pending-sign-in")


def no_store(response):
    """Signed-in pages must not be kept by the browser or any cache."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
