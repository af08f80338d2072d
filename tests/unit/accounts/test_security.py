"""The safe-redirect rule."""

from __future__ import annotations

import pytest

from app.security import safe_next


@pytest.mark.parametrize(
    "target",
    ["/console/", "/console/organisations?page=2", "/console/organisations/abc#top", "/"],
)
def test_same_site_paths_are_kept(target):
    assert safe_next(target, "/default") == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "http://evil.example",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " /console/",
        "javascript:alert(1)",
        "console/",
        "https:/evil.example",
        "/" + "a" * 2001,
    ],
)
def test_anything_else_falls_back_to_the_default(target):
    assert safe_next(target, "/default") == "/default"
