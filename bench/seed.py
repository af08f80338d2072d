"""Seeding throughput: ``flask demo seed`` on PostgreSQL against a bare COPY.

    .venv/bin/python bench/seed.py [--pupils 1000000] [--seed 1] [--database rd_bench_seed]
                                   [--admin-url postgresql://root@127.0.0.1:5432/postgres] [--keep]

Creates a fresh database, migrates it, and runs the demo seed service (the
code behind ``flask demo seed``) for ``--pupils`` pupils, each with a school
year of attendance. Prints rows per table and seconds per phase.

Baseline, in the same run and database: the same number of attendance rows,
prepared in memory beforehand as COPY text, copied into a table shaped like
``attendance_weeks`` (same columns and primary key, no foreign key). That is
the most direct way to get those rows into PostgreSQL, with nothing generated
while the clock runs. ``ratio`` = seed seconds / baseline seconds; the seed
also generates and loads every other table and checks the foreign keys, so
the ratio says what all of that costs on top of the attendance rows alone.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.config import new_master_key_entry, normalise_database_url
from app.demo.services import SeedOptions, seed_demo

WEEKS = 39
CHUNK_ROWS = 1_000_000


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fresh_database(admin_url: str, name: str) -> str:
    admin = make_url(normalise_database_url(admin_url))
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    engine = create_engine(make_url(normalise_database_url(admin_url)), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def run_seed(
    url: str,
    pupils: int,
    seed: int,
    as_of: date | None,
    rebuild_indexes: bool,
    master_keys: str | None = None,
):
    instance = Path(tempfile.mkdtemp(prefix="rd_bench_seed_"))
    app = create_app(
        {
            "RIGHTSDESK_ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-secret-key",
            # bench/collect.py passes its own key, so it can open what the seed sealed.
            "RIGHTSDESK_MASTER_KEYS": master_keys or new_master_key_entry("bench"),
            "RIGHTSDESK_INSTANCE": str(instance),
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(revision="heads")
    done = [0, time.perf_counter()]

    def progress(count: int) -> None:
        done[0] += count
        if time.perf_counter() - done[1] > 15:
            done[1] = time.perf_counter()
            log(f"  {done[0]:,} / {pupils:,} pupils generated")

    with app.app_context():
        log(f"seeding {pupils:,} pupils")
        options = SeedOptions(pupils=pupils, seed=seed, as_of=as_of, rebuild_indexes=rebuild_indexes)
        result = seed_demo(options, progress=progress, stage=lambda name: log(f"  stage: {name}"))
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
    return result


def table_sizes(url: str, tables: list[str]) -> dict[str, int]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return {
            name: conn.execute("SELECT pg_total_relation_size(%s::regclass)", (name,)).fetchone()[0]
            for name in tables
        }


def prepare_baseline(rows: int) -> list[bytes]:
    """COPY text for ``rows`` attendance rows, as the seed would send them."""
    weeks = [date.fromordinal(date(2025, 9, 1).toordinal() + 7 * i).isoformat() for i in range(WEEKS)]
    # Slot strings with the backslash (PM present) already doubled for COPY.
    present = "/ \\\\ "
    patterns = [
        present * 5,
        present * 2 + "I I " + present * 2,
        "L \\\\ " + present * 4,
        "# # " + present * 4,
    ]
    chunks, lines, made, pupil = [], [], 0, 0
    while made < rows:
        pupil += 1
        hexed = f"{pupil:032x}"
        prefix = f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}\t"
        for week in weeks[: min(WEEKS, rows - made)]:
            lines.append(f"{prefix}{week}\t{patterns[made % 4]}\n")
            made += 1
        if len(lines) >= CHUNK_ROWS:
            chunks.append("".join(lines).encode())
            lines = []
    if lines:
        chunks.append("".join(lines).encode())
    return chunks


def run_baseline(url: str, chunks: list[bytes]) -> float:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_attendance")
        conn.execute("CREATE TABLE bench_attendance (LIKE attendance_weeks INCLUDING ALL)")
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy("COPY bench_attendance (pupil_id, week_start, slots) FROM STDIN") as copy,
        ):
            for chunk in chunks:
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_attendance")
        conn.commit()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=date(2026, 11, 22),
        help="fixed so that runs on different days generate the same data",
    )
    parser.add_argument("--database", default="rd_bench_seed")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://root@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--keep-indexes",
        action="store_true",
        help="maintain plain indexes row by row during the load (for comparison)",
    )
    args = parser.parse_args()

    url = fresh_database(args.admin_url, args.database)
    result = run_seed(url, args.pupils, args.seed, args.as_of, not args.keep_indexes)
    seed_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    total_rows = sum(result.counts.values())
    seconds = result.phases["total"]
    sizes = table_sizes(url, list(result.counts))

    print(f"Seed of {args.pupils:,} pupils into {args.database} ({result.schools:,} schools and nurseries)")
    print(f"{'table':<24} {'rows':>12} {'MB on disk':>11} {'COPY s':>8}")
    for table, count in result.counts.items():
        print(
            f"{table:<24} {count:>12,} {sizes[table] / 1e6:>11,.0f} "
            f"{result.copy_seconds.get(table, 0.0):>8.1f}"
        )
    print(f"{'total':<24} {total_rows:>12,} {sum(sizes.values()) / 1e6:>11,.0f}")
    print("phases (s): " + ", ".join(f"{name} {value:.1f}" for name, value in result.phases.items()))

    attendance = result.counts["attendance_weeks"]
    log(f"baseline: preparing {attendance:,} attendance rows in memory")
    chunks = prepare_baseline(attendance)
    log("baseline: COPY")
    baseline = run_baseline(url, chunks)
    del chunks
    print(
        f"baseline: COPY of {attendance:,} prepared attendance rows in {baseline:.1f}s "
        f"({attendance / baseline:,.0f} rows/s)"
    )
    print(
        f"seed: {seconds:.1f}s, {total_rows / seconds:,.0f} rows/s; peak RSS during the seed "
        f"{seed_rss_mb:,.0f} MB (largest worker {worker_rss_mb:,.0f} MB)"
    )
    if not args.keep:
        drop_database(args.admin_url, args.database)
    print(
        json.dumps(
            {
                "bench": "seed",
                "pupils": args.pupils,
                "seconds": round(seconds, 1),
                "rows": total_rows,
                "rows_per_s": round(total_rows / seconds),
                "baseline_seconds": round(baseline, 1),
                "baseline_rows": attendance,
                "ratio": round(seconds / baseline, 2),
                "phases": {name: round(value, 1) for name, value in result.phases.items()},
                "seed_peak_rss_mb": round(seed_rss_mb),
                "worker_peak_rss_mb": round(worker_rss_mb),
                "indexes_rebuilt": not args.keep_indexes,
            }
        )
    )


if __name__ == "__main__":
    main()
