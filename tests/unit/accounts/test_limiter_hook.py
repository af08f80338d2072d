"""Flask-Limiter's per-request hook is dropped only when no limit needs it."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask

from app.extensions import limiter
from app.security import skip_limiter_middleware


def _bare_app() -> Flask:
    app = Flask(__name__)
    app.before_request(limiter._check_request_limit)
    return app


def test_limiter_hook_dropped_from_the_app(app):
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])


def test_limiter_hook_dropped_when_every_limit_decorates_a_view():
    app = _bare_app()
    skip_limiter_middleware(app)
    assert limiter._check_request_limit not in app.before_request_funcs[None]


@pytest.mark.parametrize("kind", ["_default_limits", "_application_limits"])
def test_limiter_hook_kept_when_a_limit_needs_it(monkeypatch, kind):
    monkeypatch.setattr(limiter.limit_manager, kind, [[object()]])
    app = _bare_app()
    skip_limiter_middleware(app)
    assert limiter._check_request_limit in app.before_request_funcs[None]


def test_limiter_hook_kept_for_a_blueprint_limit(monkeypatch):
    app = _bare_app()
    monkeypatch.setattr(limiter.limit_manager, "blueprint_limits", lambda app, name: [object()])
    app.register_blueprint(Blueprint("limited", __name__))
    skip_limiter_middleware(app)
    assert limiter._check_request_limit in app.before_request_funcs[None]
