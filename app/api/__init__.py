"""REST API v1 under ``/api/v1``: JSON only, bearer tokens, an OpenAPI document.

Layout: ``views/`` (one module per resource, thin), ``routing.py`` (the one
decorator that declares an operation), ``schemas.py`` (marshmallow),
``errors.py`` (the error shape), ``auth.py`` (bearer tokens on requests),
``tokens.py`` and ``services.py`` (the rules), ``openapi.py`` (the document),
``cli.py`` (``flask tokens``), ``models.py`` (``ApiToken``).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.api import errors, openapi  # noqa: F401  (openapi registers its route on the blueprint)
    from app.api.views import bp
    from app.extensions import csrf

    # Bearer tokens travel in a header a browser never adds by itself, so
    # cross-site requests cannot ride on them: no CSRF token is needed.
    csrf.exempt(bp)
    errors.register_routing_hook(app)
    app.register_blueprint(bp)
