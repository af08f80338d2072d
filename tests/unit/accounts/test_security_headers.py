"""The headers every answer carries unless its view set its own."""

from __future__ import annotations

from flask import Response

from app.security import CONTENT_SECURITY_POLICY, HSTS, _security_headers

EVERY_ANSWER = {
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
}


def _names(response: Response) -> list[str]:
    return [name for name, _ in response.headers]


def test_security_headers_added_once_when_missing(app):
    with app.test_request_context("/"):
        response = _security_headers(_security_headers(Response("ok")))
    names = _names(response)
    assert set(names) >= EVERY_ANSWER
    assert len(names) == len(set(names))  # a second pass adds nothing twice
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_security_headers_keep_a_views_own_value_whatever_its_case(app):
    response = Response("ok")
    response.headers["content-security-policy"] = "default-src 'none'"
    response.headers["X-FRAME-OPTIONS"] = "SAMEORIGIN"
    with app.test_request_context("/"):
        _security_headers(response)
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_security_headers_add_hsts_in_production_only(app):
    with app.test_request_context("/"):
        assert "Strict-Transport-Security" not in _security_headers(Response("ok")).headers
        environment = app.config["RIGHTSDESK_ENV"]
        app.config["RIGHTSDESK_ENV"] = "production"
        try:
            response = _security_headers(Response("ok"))
        finally:
            app.config["RIGHTSDESK_ENV"] = environment
    assert response.headers["Strict-Transport-Security"] == HSTS
