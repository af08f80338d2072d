"""The OpenAPI 3.1 document, generated from the declared operations and their
marshmallow schemas (``app.api.routing``), served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response, current_app, jsonify

from app.api.errors import MESSAGES
from app.api.routing import ALL_ROLES, OPERATIONS, Operation
from app.api.schemas import ErrorSchema
from app.api.views import bp

TITLE = "Rights Desk API"
VERSION = "1.0.0"
BASE_PATH = "/api/v1"
SECURITY_SCHEME = "bearerAuth"

_RULE_PARAMETER = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_CONVERTER_SCHEMAS: dict[str, dict[str, Any]] = {
    "uuid": {"type": "string", "format": "uuid"},
    "int": {"type": "integer", "minimum": 0},
    "string": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
}

# Error responses, one reusable component each, all with the common error body.
_ERROR_RESPONSES: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Gone",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "ValidationFailed",
    429: "TooManyRequests",
    500: "InternalError",
}

_DESCRIPTION = """\
Staff access to Rights Desk. Authenticate with a personal API token:
`Authorization: Bearer rd_…`. Tokens expire (at most 365 days) and can be revoked.
The one public operation, `POST /requests` (a data subject's request), needs no
token and is rate-limited per client address.

Every error has the same JSON shape, `{"error": {"status", "code", "message", "fields"?}}`;
`fields` (messages per field name) comes with 422 only. Objects outside your
organisations are reported as not found (404), never as forbidden. Lists are paged
with `page` and `per_page`. Methods a path does not support answer 405 with `Allow`.
"""


def openapi_path(rule: str) -> str:
    """``/organisations/<uuid:organisation_id>`` → ``/organisations/{organisation_id}``."""
    return _RULE_PARAMETER.sub(lambda match: "{" + match["name"] + "}", rule)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    return [
        {
            "name": match["name"],
            "in": "path",
            "required": True,
            "schema": dict(_CONVERTER_SCHEMAS.get(match["converter"] or "string", {"type": "string"})),
        }
        for match in _RULE_PARAMETER.finditer(rule)
    ]


def _error_statuses(op: Operation) -> list[int]:
    statuses = {429, 500, *op.errors}
    if not op.public:
        statuses.add(401)
    if op.roles != ALL_ROLES and not op.public:
        statuses.add(403)
    if op.has_path_parameters:
        statuses.add(404)
    if op.query is not None or op.body is not None:
        statuses.add(422)
    if op.body is not None:
        statuses.update({400, 413, 415})
    return sorted(statuses)


def _operation_object(op: Operation) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "Success."}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": op.response}}
    elif op.binary:
        success["content"] = {
            media: {"schema": {"type": "string", "format": "binary"}} for media in op.binary
        }
    responses: dict[str, Any] = {str(op.status): success}
    for status in _error_statuses(op):
        responses[str(status)] = _ERROR_RESPONSES[status]
    parameters = _path_parameters(op.rule)
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    description = op.description
    if op.roles != ALL_ROLES and not op.public:
        description += "\n\nRoles: " + ", ".join(sorted(role.value for role in op.roles)) + "."
    result: dict[str, Any] = {
        "operationId": op.endpoint.split(".", 1)[1],
        "summary": op.summary,
        "description": description,
        "tags": [op.tag],
        "responses": responses,
    }
    if parameters:
        result["parameters"] = parameters
    if op.body is not None:
        result["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    # A public operation says so explicitly: no security requirement at all.
    result["security"] = [] if op.public else [{SECURITY_SCHEME: []}]
    return result


def build_document() -> dict[str, Any]:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": _DESCRIPTION},
        servers=[{"url": BASE_PATH}],
    )
    spec.components.security_scheme(
        SECURITY_SCHEME,
        {"type": "http", "scheme": "bearer", "bearerFormat": "rd_ API token"},
    )
    spec.components.schema("Error", schema=ErrorSchema)
    for status, name in _ERROR_RESPONSES.items():
        response: dict[str, Any] = {
            "description": MESSAGES[status],
            "content": {"application/json": {"schema": "Error"}},
        }
        if status == 401:
            response["headers"] = {
                "WWW-Authenticate": {
                    "description": "The bearer challenge (RFC 6750).",
                    "schema": {"type": "string"},
                }
            }
        spec.components.response(name, response)

    by_path: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path = openapi_path(op.rule)
        by_path.setdefault(path, {})[op.method.lower()] = _operation_object(op)
    for path in sorted(by_path):
        spec.path(path=path, operations=by_path[path])
    return spec.to_dict()


def document(app: Flask) -> dict[str, Any]:
    """Built once per application: the operations do not change at run time."""
    cached = app.extensions.get("rightsdesk.openapi")
    if cached is None:
        cached = app.extensions["rightsdesk.openapi"] = build_document()
    return cached


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(document(current_app))
