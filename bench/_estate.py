"""A seeded PostgreSQL estate for the benchmarks: seed a fresh database, or
reuse one an earlier ``--keep`` run left, and open the project's app on it.

This is the "fresh or ``--reuse``" step of ``bench/collect.py`` as a
function, so other benchmarks call it instead of copying it. The keyring is
``collect.bench_master_key`` (fixed per database name), so a reused database
opens what the seed sealed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from collect import app_for, bench_master_key
from flask import Flask
from seed import fresh_database, log, run_seed
from sqlalchemy.engine import make_url

from app.config import normalise_database_url


def estate_url(
    admin_url: str, database: str, *, pupils: int, seed: int, as_of: date | None, reuse: bool
) -> str:
    """The URL of a seeded database: ``database`` as it is with ``reuse``,
    otherwise created afresh and seeded with ``pupils`` pupils."""
    if reuse:
        url = make_url(normalise_database_url(admin_url)).set(database=database)
        return url.render_as_string(hide_password=False)
    url = fresh_database(admin_url, database)
    started = time.perf_counter()
    run_seed(url, pupils, seed, as_of, True, bench_master_key(database))
    log(f"seeded {pupils:,} pupils in {time.perf_counter() - started:.0f}s")
    return url


def estate_app(url: str, database: str, prefix: str) -> Flask:
    """The project's app on the estate, migrated to the latest revision
    (a reused database may predate the newest migrations)."""
    app = app_for(url, Path(tempfile.mkdtemp(prefix=prefix)), database)
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(revision="heads")
    return app
