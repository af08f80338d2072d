"""Web security shared by every page: response headers, cookie settings,
the rate limiter's storage, safe redirects, and the pages for a refused form
(CSRF) or too many attempts (429)."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import TooManyRequests

# No inline script or style anywhere: pages use /static only. frame-ancestors
# stops clickjacking, form-action stops an injected form posting elsewhere,
# base-uri stops an injected <base> re-pointing relative links.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    from app.extensions import limiter

    production = app.config.get("RIGHTSDESK_ENV") == "production"
    if production:
        # __Host- cookies must be Secure, for the whole site, with no Domain:
        # a sibling subdomain cannot plant or overwrite them.
        app.config["SESSION_COOKIE_NAME"] = "__Host-rightsdesk"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = production or bool(app.config.get("SESSION_COOKIE_SECURE"))

    # Counters live in Redis when there is one, so every web process shares
    # them; otherwise in this process's memory (the embedded default).
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_ENABLED", True)
    # No X-RateLimit-* headers on every limited response: Flask-Limiter reads
    # them back from Redis after each such request (two more round trips on
    # every form post). A refused request still says when to come back:
    # ``_retry_after`` adds Retry-After to 429s, the only answer that needs it.
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    # Should Redis fail, limits carry on per process rather than refusing
    # every sign-in; lockout (in the database) still applies.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    # Tests create many apps sharing one Redis: each gets its own counters.
    namespace = "rd-test-" + secrets.token_hex(4) if app.config.get("TESTING") else "rd"
    app.config.setdefault("RIGHTSDESK_RATELIMIT_NAMESPACE", namespace)
    limiter.init_app(app)

    app.before_request(_forget_cached_csrf_token)
    app.after_request(_security_headers)
    app.after_request(_retry_after)
    # App-wide: any HTML form may be refused. (The API is exempt from CSRF,
    # and answers its own 429s as JSON, so 429 pages are per blueprint.)
    app.register_error_handler(CSRFError, _csrf_refused)


def skip_limiter_middleware(app: Flask) -> None:
    """Drop Flask-Limiter's check of every request, when nothing needs it.

    Every limit here decorates its own view, and the decorator checks it
    when the view is called. The limiter's before-request hook exists for
    default, application, blueprint and meta limits, none of which this app
    sets, so on every request it worked out that nothing applied: about 5 %
    of the public form's instructions (GET and POST). Call once the
    blueprints are registered, as a blueprint limit is known only then;
    should any such limit be configured, the hook stays.
    """
    from app.extensions import limiter

    manager = limiter.limit_manager
    if manager.application_limits or manager.default_limits or limiter._meta_limits:
        return
    if any(manager.blueprint_limits(app, name) for name in app.blueprints):
        return
    # ValueError if a newer Flask-Limiter hooks in some other way: the app
    # then fails to start, in the tests first, rather than quietly changing.
    app.before_request_funcs[None].remove(limiter._check_request_limit)


def forget_cached_csrf_token() -> None:
    """Flask-WTF caches the signed CSRF token in ``g``. Call this whenever the
    session is cleared so forms made afterwards carry a token for the new one."""
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def _forget_cached_csrf_token() -> None:
    # ``g`` outlives a request when an application context is held open
    # around several (tests, scripts); each request starts from its cookie.
    forget_cached_csrf_token()


# What every answer carries unless its view set its own. "same-origin", not
# "no-referrer": Flask-WTF checks the Referer of HTTPS form posts, and other
# sites still learn nothing (reset links included).
_SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_PRODUCTION_HEADERS = (*_SECURITY_HEADERS, ("Strict-Transport-Security", HSTS))


def _security_headers(response: Response) -> Response:
    headers = response.headers
    wanted = (
        _PRODUCTION_HEADERS if current_app.config.get("RIGHTSDESK_ENV") == "production" else _SECURITY_HEADERS
    )
    # One pass over the headers already set, not a ``setdefault`` per header:
    # each miss there raises (and builds) a BadRequestKeyError, which made
    # this hook cost more than many whole views.
    present = {name.lower() for name, _ in headers}
    missing = [(name, value) for name, value in wanted if name.lower() not in present]
    if missing:
        headers.extend(missing)
    return response


def _retry_after(response: Response) -> Response:
    """Retry-After on a 429 from the rate limiter, in seconds until its window
    resets (unless the answer set its own, as the API token throttle does)."""
    if response.status_code != 429 or "Retry-After" in response.headers:
        return response
    seconds = seconds_until_reset()
    if seconds is not None:
        response.headers["Retry-After"] = str(seconds)
    return response


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``.

    Only a relative path starting with a single "/" passes. Refused: absolute
    URLs, scheme-relative "//host", "/\\host" (browsers read "\\" as "/"),
    and any control character or space (browsers drop tabs and newlines, so
    "/\\t/host" would become "//host").
    """
    if not target or len(target) > 2000:
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def rate_limit_key(kind: str, value: str) -> str:
    """A limiter key: namespaced (tests), kind-tagged, and hashed so email
    addresses are never written to Redis in clear."""
    digest = hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()[:32]
    return f"{current_app.config['RIGHTSDESK_RATELIMIT_NAMESPACE']}:{kind}:{digest}"


def configured_limit(name: str, default: str) -> Callable[[], str]:
    """A Flask-Limiter limit read from the app config at request time, so a
    deployment (or a test) can tighten it without a code change."""
    return lambda: current_app.config.get(name, default)


def client_ip_key() -> str:
    # remote_addr is the proxy's address unless ProxyFix is configured for
    # the deployment's proxies; the lead wires that with the deployment.
    return rate_limit_key("ip", request.remote_addr or "unknown")


def _csrf_refused(error: CSRFError):
    return render_template(
        "accounts/problem.html",
        title="The form could not be sent",
        message="The page was open too long, or the form came from somewhere else. "
        "Go back, reload the page and try again.",
    ), 400


def too_many_attempts(error: TooManyRequests):
    """The 429 page for the public and console blueprints (``_retry_after``
    adds Retry-After), saying how long to wait."""
    return render_template(
        "accounts/problem.html",
        title="Too many attempts",
        message=f"There have been too many attempts. {wait_hint()}",
    ), 429


def seconds_until_reset() -> int | None:
    """Seconds until the limit that refused this request lets one through
    again; None when that cannot be told (the limiter's storage gone)."""
    from app.extensions import limiter

    try:
        breached = limiter.current_limit
        reset_at = breached.reset_at if breached is not None else None
    except Exception:  # storage gone between the refusal and now: no hint rather than a 500
        reset_at = None
    return None if reset_at is None else max(1, int(reset_at - time.time()))


def wait_hint() -> str:
    """ "Try again in 51 minutes.": the wait, rounded up to whole minutes."""
    seconds = seconds_until_reset()
    if seconds is None:
        return "Wait a few minutes, then try again."
    minutes = -(-seconds // 60)
    return f"Try again in {minutes} minute{'' if minutes == 1 else 's'}."
