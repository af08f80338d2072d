"""Pooled PostgreSQL connections are checked only after sitting idle (app.dbpool)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, exc, text

from app.config import normalise_database_url
from app.dbpool import ping_when_idle


@pytest.fixture
def engine_for(postgres_database: str):
    engines = []

    def make(after: float):
        engine = create_engine(normalise_database_url(postgres_database), pool_size=1, max_overflow=0)
        ping_when_idle(engine, after)
        engines.append(engine)
        return engine

    yield make, postgres_database
    for engine in engines:
        engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def terminate(url: str, pid: int) -> None:
    with psycopg.connect(url.replace("postgresql+psycopg:", "postgresql:"), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # Wait until the backend is really gone, so the pool's socket is dead.
        for _ in range(200):
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                return
            admin.execute("SELECT pg_sleep(0.01)")


def test_connection_killed_while_idle_is_replaced_before_use(engine_for):
    make, url = engine_for
    engine = make(after=0.0)  # every checkout after the first counts as idle
    first = backend_pid(engine)
    terminate(url, first)

    second = backend_pid(engine)  # no error reaches the caller

    assert second != first


def test_connection_used_moments_ago_is_not_pinged(engine_for):
    make, url = engine_for
    engine = make(after=3600.0)
    first = backend_pid(engine)
    terminate(url, first)

    # Trusted without a ping, the dead connection reaches the statement: this
    # is the window the module documents. The pool is then invalidated...
    with pytest.raises(exc.OperationalError), engine.connect() as connection:
        connection.execute(text("SELECT 1"))

    # ...and the next checkout connects afresh.
    assert backend_pid(engine) != first


def test_connection_psycopg_knows_is_closed_is_replaced_without_a_ping(engine_for):
    make, _url = engine_for
    engine = make(after=3600.0)
    with engine.connect() as connection:
        first = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        dbapi_connection = connection.connection.dbapi_connection
    dbapi_connection.close()

    assert backend_pid(engine) != first


def test_ping_leaves_no_transaction_open(engine_for):
    make, _url = engine_for
    engine = make(after=0.0)
    backend_pid(engine)
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        # Checked out, pinged, and idle again: the request's work starts a
        # transaction of its own.
        assert raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
