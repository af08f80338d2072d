"""One decorator declares an API operation: its route, who may call it, what
it reads and what it answers. The same declaration drives request parsing,
role checks, response rendering and the OpenAPI document, so none of them
can drift from the others. Every operation needs a bearer token unless it
is declared ``public`` (the data subject's request form has no account).

Order of checks: authentication (401), role (403), then input (400, 415,
422). Someone without a token learns nothing about valid input. A public
operation skips the first two and ignores any token sent.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema, ValidationError

from app.accounts.models import Role
from app.api.auth import require_token
from app.api.errors import ApiError, flatten_messages

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Operation:
    endpoint: str
    rule: str
    method: str
    summary: str
    description: str
    tag: str
    response: type[Schema] | None
    status: int
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    roles: frozenset[Role] = ALL_ROLES
    # No bearer token needed (or looked at); documented with ``security: []``.
    public: bool = False
    # Error statuses this operation may give besides those implied above.
    errors: tuple[int, ...] = field(default=())
    # A file download instead of JSON: the media types it may answer with.
    binary: tuple[str, ...] = field(default=())

    @property
    def has_path_parameters(self) -> bool:
        return "<" in self.rule


# Filled as view modules are imported; read by the OpenAPI document.
OPERATIONS: list[Operation] = []


def operation(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    tag: str,
    response: type[Schema] | None = None,
    status: int = 200,
    query: type[Schema] | None = None,
    body: type[Schema] | None = None,
    roles: Iterable[Role] = ALL_ROLES,
    public: bool = False,
    errors: tuple[int, ...] = (),
    binary: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Register ``func`` as an API operation.

    ``func`` receives the path parameters and, when declared, ``query`` and
    ``body`` (already validated dicts). It returns the object(s) to dump with
    ``response``, or a ready ``Response``.
    """

    def decorator(func: Callable[..., Any]) -> Callable[..., Response]:
        op = Operation(
            endpoint=f"{bp.name}.{func.__name__}",
            rule=rule,
            method=method.upper(),
            summary=summary,
            description=inspect.cleandoc(func.__doc__ or summary),
            tag=tag,
            response=response,
            status=status,
            query=query,
            body=body,
            roles=frozenset(roles),
            public=public,
            errors=errors,
            binary=binary,
        )

        @wraps(func)
        def view(**path: Any) -> Response:
            if not op.public:
                user, _token = require_token()
                if user.role not in op.roles:
                    raise ApiError(403)
            kwargs = dict(path)
            if op.query is not None:
                kwargs["query"] = load_query(op.query)
            if op.body is not None:
                kwargs["body"] = load_body(op.body)
            result = func(**kwargs)
            if isinstance(result, Response):
                return result
            payload = op.response().dump(result) if op.response is not None else None
            answer = jsonify(payload) if payload is not None else Response(status=op.status)
            answer.status_code = op.status
            return answer

        bp.add_url_rule(rule, endpoint=func.__name__, view_func=view, methods=[op.method])
        OPERATIONS.append(op)
        return view

    return decorator


def _validation_error(messages: Any) -> ApiError:
    return ApiError(422, fields=flatten_messages(messages))


def load_query(schema: type[Schema]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    repeated: dict[str, list[str]] = {}
    for name, given in request.args.lists():
        if len(given) > 1:
            repeated[name] = ["Give this parameter once."]
        values[name] = given[0]
    if repeated:
        raise _validation_error(repeated)
    try:
        return schema().load(values)
    except ValidationError as exc:
        raise _validation_error(exc.messages) from None


def load_body(schema: type[Schema]) -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(415)
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw)
        # A lone surrogate ("\ud800") parses but is not text any database can
        # store; refuse it here rather than fail deep inside a write.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError, UnicodeError):
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
    try:
        return schema().load(data)
    except ValidationError as exc:
        raise _validation_error(exc.messages) from None
