"""Every API error is JSON of one shape:

    {"error": {"status": 422, "code": "validation_failed", "message": "...",
               "fields": {"per_page": ["Must be between 1 and 100."]}}}

``fields`` appears only on validation errors. A 500 says nothing about its
cause; the cause goes to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
}

MESSAGES: dict[int, str] = {
    400: "The request could not be understood.",
    401: "Authentication is required.",
    403: "Your role may not use this endpoint.",
    404: "Not found.",
    405: "This method is not allowed here.",
    409: "The request conflicts with the current state of the resource.",
    410: "This no longer exists.",
    413: "The request body is too large.",
    415: "Send the request body as application/json.",
    422: "The request has invalid fields.",
    429: "Too many requests; try again later.",
    500: "Something went wrong on our side. It has been logged.",
}

# Headers of a Werkzeug/Flask exception worth keeping on the JSON answer.
_PASSED_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class ApiError(Exception):
    """Raised by the API layer to answer with an error of the common shape."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        *,
        fields: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message or MESSAGES.get(status, "Error."))
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message or MESSAGES.get(status, "Error.")
        self.fields = dict(fields) if fields else None
        self.headers = dict(headers or {})


def error_response(error: ApiError) -> Response:
    body: dict[str, Any] = {"status": error.status, "code": error.code, "message": error.message}
    if error.fields is not None:
        body["fields"] = error.fields
    response = jsonify({"error": body})
    response.status_code = error.status
    response.headers.update(error.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict as ``{"field.sub": ["message", ...]}``,
    so the ``fields`` object keeps one simple, documented shape."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub_key, sub_messages in flatten_messages(value, name).items():
                flat.setdefault(sub_key, []).extend(sub_messages)
    elif isinstance(messages, list | tuple):
        for value in messages:
            if isinstance(value, Mapping | list | tuple):
                for sub_key, sub_messages in flatten_messages(value, prefix).items():
                    flat.setdefault(sub_key, []).extend(sub_messages)
            else:
                flat.setdefault(prefix or "_schema", []).append(str(value))
    else:
        flat.setdefault(prefix or "_schema", []).append(str(messages))
    return flat


def from_http_exception(exc: HTTPException) -> ApiError:
    status = exc.code or 500
    headers = {name: value for name, value in exc.get_headers() if name in _PASSED_HEADERS}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    if status >= 500:
        return ApiError(500)
    return ApiError(status, headers=headers)


def register_blueprint_handlers(bp: Blueprint) -> None:
    """Errors raised inside API views (once, when the blueprint is defined)."""

    @bp.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error)

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return error_response(from_http_exception(exc))

    @bp.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(ApiError(500))


def register_routing_hook(app: Flask) -> None:
    """Routing errors (unknown path, wrong method) happen before any blueprint
    is chosen, so they are caught app-wide, but only for paths under ``/api/``."""

    @app.before_request
    def _api_routing_errors() -> Response | None:
        # Runs before dispatch raises the routing error, so other parts of
        # the application keep their own (HTML) 404 and 405 pages.
        failure = request.routing_exception
        if failure is None or not request.path.startswith(API_PREFIX):
            return None
        if isinstance(failure, HTTPException) and (failure.code or 500) < 500:
            if 300 <= (failure.code or 0) < 400:  # e.g. a redirect to add a trailing slash
                return None
            return error_response(from_http_exception(failure))
        return error_response(ApiError(404))
