"""Checking pooled PostgreSQL connections before use, only when they may have gone stale.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` on every checkout: a
round trip on every request, although a connection handed back a moment ago
is as alive as it was then. Here a connection is pinged only when it sat in
the pool longer than ``after`` seconds (a restart of PostgreSQL, a proxy's
idle timeout or a network blip is then possible), or when psycopg already
knows it is closed or broken. A dead one is replaced before the request
sees it (``DisconnectionError`` makes the pool connect afresh).

The window this leaves: a connection used within the last ``after`` seconds
and killed since. Its first statement fails, SQLAlchemy then invalidates
the whole pool (every process gets new connections), so one request per
process sees the error, once per database restart.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

# How long a connection may sit in the pool and still be trusted unpinged.
PING_AFTER_IDLE_SECONDS = 10.0
_CHECKED_IN_AT = "rightsdesk.checked_in_at"
_INSTALLED: weakref.WeakSet[Engine] = weakref.WeakSet()


def ping_when_idle(engine: Engine, after: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Install the check on ``engine``'s pool (once per engine)."""
    if engine in _INSTALLED:
        return
    _INSTALLED.add(engine)

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
            raise exc.DisconnectionError("the connection was closed")
        checked_in = record.info.get(_CHECKED_IN_AT)
        if checked_in is None or time.monotonic() - checked_in < after:
            return  # brand new, or handed back a moment ago
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            # The ping began a transaction (psycopg is not in autocommit):
            # end it, so the request's own work starts from a clean slate.
            dbapi_connection.rollback()
        except Exception as error:  # whatever failed, the connection is not to be used
            raise exc.DisconnectionError(f"the connection failed its ping: {error}") from error

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)
