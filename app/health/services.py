"""Reachability of the database and, when configured, Redis."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import text

from app.extensions import db


def check_services() -> dict[str, Any]:
    checks: dict[str, Any] = {"database": _check_database()}
    redis_url = current_app.config.get("REDIS_URL")
    checks["redis"] = (
        _check_redis(redis_url) if redis_url else {"ok": True, "detail": "not configured; jobs run inline"}
    )
    return {"ok": all(check["ok"] for check in checks.values()), "checks": checks}


def _check_database() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "dialect": db.engine.dialect.name}
    except Exception as exc:  # any driver error means "not reachable"
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__}


def _check_redis(url: str) -> dict[str, Any]:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return {"ok": True}
    except RedisError as exc:
        return {"ok": False, "error": type(exc).__name__}
