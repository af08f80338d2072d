"""The public request form counted in CPU instructions, against a minimal Flask app.

    .venv/bin/python bench/intake_instructions.py [--pairs-low 50] [--pairs-high 150] [--warmup 50]
                                                  [--repeat 2] [--no-split] [--pupils 600] [--schools 4]
                                                  [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
                                                  [--redis-url redis://127.0.0.1:6379/9] [--keep]

A deterministic companion to ``bench/intake.py``, for comparing code changes
on a machine whose speed drifts (by about 30 % between runs here, which
hides a change of a few per cent in wall-clock figures). It complements the
wall-clock bench and does not replace it: it counts only the user-space
instructions of the app's own Python process, not PostgreSQL, Redis, the
kernel, waiting, or gunicorn's HTTP parsing (Flask's test client, in the
same process, stands in for the server, and its own work is counted on both
sides).

Needs valgrind (the Debian package ``valgrind``); exits 2 without it.

Creates the database ``rd_bench_icount_<pid>``, migrates and seeds it
(``flask --app wsgi db upgrade``; ``flask --app wsgi demo seed --force
--pupils 600 --schools 4 --seed 1 --as-of 2026-11-22``), with production
settings and secrets generated for the run as ``bench/intake.py`` does, and
drops it at the end (also on failure) unless ``--keep``.

Each measurement is this script re-run in a drive mode under ``valgrind
--tool=cachegrind --cache-sim=no`` with ``PYTHONMALLOC=malloc`` and
``PYTHONHASHSEED=0``; its ``I refs`` total is the count. Redis (rate-limit
counters) is flushed before every run. A form run imports ``wsgi:app`` and
makes ``--warmup`` submissions, then N measured ones, each what a browser
does: GET ``/`` (form, CSRF token, session cookie), then POST ``/`` with
valid answers for a seeded school, from its own ``X-Forwarded-For`` address
(so the limit of 10 an hour never trips). Every POST must answer 302 to
``/request/<uuid>/confirm``, every GET 200 with a token, or the run fails.
After the warm-up, ``gc.collect()``, so that the measured part starts from
the same garbage-collector state in every run (without it, where full
collections fell moved the count a submission by up to 1 %).
It is run with N = ``--pairs-low`` and N = ``--pairs-high``; the difference
divided by the difference in N is the count a submission (start-up, imports
and warm-up cancel out). A third run makes ``--pairs-low`` submissions and
then ``--pairs-high - --pairs-low`` GETs only, which gives a GET's count and
so a POST's (skip it with ``--no-split``). The minimal app
(``bench/minimal_app.py``, no app imports in its process) is measured the
same way with twice as many GETs. ``ratio`` = instructions a form request
(half a submission) / instructions a minimal request.

Each measurement is made ``--repeat`` times (default 2); all are printed
and the median is reported. About 7 minutes with the defaults on 2 vCPUs
(10 valgrind runs of 10-75 s each). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BASE_URL = "http://127.0.0.1:5999"  # only the Host the test client sends; nothing listens
USER_AGENT = "rd-bench-intake"
IREFS_RE = re.compile(r"I\s+refs:\s+([\d,]+)")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- drive mode (measured)


def fail(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(1)


def drive_form(pairs: int, gets: int, warmup: int) -> dict[str, int]:
    """``warmup + pairs`` submissions (GET then POST), then ``gets`` GETs only,
    through Flask's test client on ``wsgi:app``; each from its own address."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(BENCH))
    import psycopg
    from intake import CONFIRM_RE, CSRF_RE, client_address, form_data

    from wsgi import app

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        schools = [
            str(row[0])
            for row in conn.execute(
                "SELECT id FROM organisations WHERE kind IN ('school', 'nursery') ORDER BY name"
            )
        ]
    if not schools:
        fail("no schools or nurseries in the database")
    client = app.test_client(use_cookies=False)
    environ = {"REMOTE_ADDR": "127.0.0.1"}  # the trusted proxy (RIGHTSDESK_PROXY_HOPS=1)
    rng = random.Random(1)

    def get_form(number: int) -> tuple[dict[str, str], str, str]:
        forwarded = {"X-Forwarded-For": client_address(number), "User-Agent": USER_AGENT}
        page = client.get("/", base_url=BASE_URL, headers=forwarded, environ_base=environ)
        token = CSRF_RE.search(page.data)
        # name=value of every Set-Cookie, sent back by hand as bench/intake.py does.
        cookie = "; ".join(value.split(";", 1)[0] for value in page.headers.getlist("Set-Cookie"))
        if page.status_code != 200 or token is None or not cookie:
            fail(f"GET / answered {page.status_code} (token {'found' if token else 'missing'})")
        return forwarded, token.group(1).decode(), cookie

    def submit(number: int) -> None:
        forwarded, token, cookie = get_form(number)
        body = form_data(number, rng.choice(schools), token, rng)
        headers = {**forwarded, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        sent = client.post("/", base_url=BASE_URL, data=body, headers=headers, environ_base=environ)
        location = sent.headers.get("Location") or ""
        if sent.status_code != 302 or CONFIRM_RE.match(urlsplit(location).path) is None:
            fail(f"POST / answered {sent.status_code} to {location!r}")

    for number in range(warmup):
        submit(number)
    # The measured part starts from the same garbage collector state in every
    # run, so full collections fall at the same requests.
    gc.collect()
    for number in range(warmup, warmup + pairs):
        submit(number)
    for number in range(warmup + pairs, warmup + pairs + gets):
        get_form(number)
    return {"submissions": warmup + pairs, "gets": gets}


def drive_minimal(requests: int, warmup: int) -> dict[str, int]:
    """``warmup + requests`` GETs on ``bench/minimal_app.py``."""
    sys.path.insert(0, str(BENCH))
    from minimal_app import app

    client = app.test_client(use_cookies=False)
    headers = {"User-Agent": USER_AGENT}

    def get() -> None:
        response = client.get("/", headers=headers)
        if response.status_code != 200 or response.data != b"ok":
            fail(f"minimal GET / answered {response.status_code}")

    for _ in range(warmup):
        get()
    gc.collect()  # as in drive_form
    for _ in range(requests):
        get()
    return {"requests": requests}


# --------------------------------------------------------------------------- the parent


def find_valgrind() -> str | None:
    return shutil.which("valgrind")


def run_child(
    valgrind: str | None, log_path: Path, env: dict[str, str], drive: list[str]
) -> tuple[int | None, float]:
    """Run this script in drive mode, under valgrind unless ``valgrind`` is
    None. Returns the ``I refs`` total (None without valgrind) and seconds."""
    command = [sys.executable, str(Path(__file__).resolve()), *drive]
    if valgrind:
        command = [
            valgrind,
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            f"--log-file={log_path}",
            *command,
        ]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(drive)} exited with {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
    if not valgrind:
        return None, seconds
    found = IREFS_RE.findall(log_path.read_text())
    if not found:
        raise RuntimeError(f"no 'I refs' in {log_path}:\n{log_path.read_text()[-2000:]}")
    return int(found[-1].replace(",", "")), seconds


def minstr(value: float) -> float:
    return value / 1e6


def spread(values: list[float]) -> float:
    """(max - min) / median, in per cent."""
    middle = statistics.median(values)
    return 100 * (max(values) - min(values)) / middle if middle else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs-low", type=int, default=50, help="measured submissions of the short run")
    parser.add_argument("--pairs-high", type=int, default=150, help="measured submissions of the long run")
    parser.add_argument("--warmup", type=int, default=50, help="submissions before the measured ones")
    parser.add_argument("--repeat", type=int, default=2, help="times each measurement is made")
    parser.add_argument(
        "--no-split", action="store_true", help="skip the GET-only run (no separate GET and POST counts)"
    )
    parser.add_argument("--pupils", type=int, default=600)
    parser.add_argument("--schools", type=int, default=4)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--keep", action="store_true", help="keep the database and valgrind's logs")
    # The measured process: this script again, in drive mode.
    parser.add_argument("--drive", choices=("form", "minimal"), help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--gets", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.drive == "form":
        print(json.dumps(drive_form(args.count, args.gets, args.warmup)))
        return 0
    if args.drive == "minimal":
        print(json.dumps(drive_minimal(args.count, args.warmup)))
        return 0

    if not 0 <= args.pairs_low < args.pairs_high or args.warmup < 0 or args.repeat < 1:
        parser.error("need 0 <= --pairs-low < --pairs-high, --warmup >= 0 and --repeat >= 1")
    valgrind = find_valgrind()
    if valgrind is None:
        print(
            "valgrind not found: this bench counts instructions with valgrind's cachegrind tool. "
            "Install it (Debian/Ubuntu: apt-get install valgrind) and run again.",
            file=sys.stderr,
        )
        return 2
    valgrind_version = subprocess.run(
        [valgrind, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()

    sys.path.insert(0, str(BENCH))
    import redis
    from intake import admin_execute, prepare_database

    began = time.monotonic()
    database = f"rd_bench_icount_{os.getpid()}"
    database_url = urlsplit(args.admin_url)._replace(path=f"/{database}").geturl()
    workdir = Path(tempfile.mkdtemp(prefix="rd_bench_icount_"))
    created = False
    try:
        redis_client = redis.Redis.from_url(args.redis_url)
        redis_client.flushdb()
        admin_execute(args.admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin_execute(args.admin_url, f'CREATE DATABASE "{database}"')
        created = True

        env = prepare_database(args, database_url, base_url=BASE_URL, workdir=workdir)
        child_env = {**env, "PYTHONMALLOC": "malloc", "PYTHONHASHSEED": "0"}

        low, high, span = args.pairs_low, args.pairs_high, args.pairs_high - args.pairs_low

        def drive(kind: str, count: int, warmup: int, gets: int = 0) -> list[str]:
            extra = ["--gets", str(gets)] if gets else []
            return ["--drive", kind, "--count", str(count), "--warmup", str(warmup), *extra]

        # Minimal: twice as many requests as the form's submissions, as many as its requests.
        runs: list[tuple[str, list[str]]] = [
            ("form_low", drive("form", low, args.warmup)),
            ("form_high", drive("form", high, args.warmup)),
        ]
        if not args.no_split:
            runs.append(("form_gets", drive("form", low, args.warmup, gets=span)))
        runs += [
            ("minimal_low", drive("minimal", 2 * low, 2 * args.warmup)),
            ("minimal_high", drive("minimal", 2 * high, 2 * args.warmup)),
        ]

        # A quick check without valgrind first, so a broken setup fails in seconds.
        log("checking both drives without valgrind")
        for check in (drive("form", 2, 1, gets=1), drive("minimal", 2, 1)):
            redis_client.flushdb()
            run_child(None, workdir / "check.log", child_env, check)

        counts: dict[str, list[int]] = {name: [] for name, _ in runs}
        for repeat in range(1, args.repeat + 1):
            for name, arguments in runs:
                redis_client.flushdb()  # rate-limit counters
                log(f"repeat {repeat}/{args.repeat}: {name} ({' '.join(arguments[1:])}) under valgrind")
                irefs, seconds = run_child(valgrind, workdir / f"{name}_{repeat}.log", child_env, arguments)
                assert irefs is not None
                counts[name].append(irefs)
                log(f"  {irefs:,} instructions in {seconds:.0f} s")

        pair = [(h - lo) / span for h, lo in zip(counts["form_high"], counts["form_low"], strict=True)]
        minimal = [
            (h - lo) / (2 * span) for h, lo in zip(counts["minimal_high"], counts["minimal_low"], strict=True)
        ]
        get = (
            [(g - lo) / span for g, lo in zip(counts["form_gets"], counts["form_low"], strict=True)]
            if not args.no_split
            else []
        )
        post = [p - g for p, g in zip(pair, get, strict=True)] if get else []
        request = [p / 2 for p in pair]
        ratios = [r / m for r, m in zip(request, minimal, strict=True)]

        figures = [
            ("form submission (GET + POST)", pair),
            ("form request (submission / 2)", request),
        ]
        if get:
            figures += [("form GET /", get), ("form POST /", post)]
        figures += [("minimal GET /", minimal)]
        seconds = time.monotonic() - began

        print(
            f"Public request form in instructions (valgrind cachegrind, {valgrind_version}), "
            f"Python {sys.version.split()[0]}; {args.warmup} warm-up submissions, then "
            f"{low} and {high} measured (difference {span}); minimal app twice as many GETs"
        )
        print()
        head = " | ".join(f"run {n}" for n in range(1, args.repeat + 1))
        print(f"| M instructions a | {head} | median | spread |")
        print("|---|" + "---|" * (args.repeat + 2))
        for label, values in figures:
            cells = " | ".join(f"{minstr(v):.3f}" for v in values)
            print(f"| {label} | {cells} | {minstr(statistics.median(values)):.3f} | {spread(values):.2f} % |")
        cells = " | ".join(f"{r:.2f}" for r in ratios)
        middle = statistics.median(ratios)
        print(f"| ratio form request / minimal | {cells} | {middle:.2f} | {spread(ratios):.2f} % |")
        print()
        print(
            "Counts the app process's user-space instructions only: not PostgreSQL, Redis, the kernel "
            "or gunicorn's HTTP parsing (Flask's test client stands in for the server)."
        )
        print(f"runtime {seconds / 60:.1f} min ({args.repeat} x {len(runs)} valgrind runs)")

        result = {
            "bench": "intake_instructions",
            "form_pair_minstr": round(minstr(statistics.median(pair)), 3),
            "form_request_minstr": round(minstr(statistics.median(request)), 3),
        }
        if get:
            result["form_get_minstr"] = round(minstr(statistics.median(get)), 3)
            result["form_post_minstr"] = round(minstr(statistics.median(post)), 3)
        result |= {
            "minimal_request_minstr": round(minstr(statistics.median(minimal)), 4),
            "ratio": round(statistics.median(ratios), 2),
            "form_pair_minstr_runs": [round(minstr(v), 3) for v in pair],
            "minimal_request_minstr_runs": [round(minstr(v), 4) for v in minimal],
            "form_pair_spread_pct": round(spread(pair), 2),
            "minimal_spread_pct": round(spread(minimal), 2),
            "pairs_low": low,
            "pairs_high": high,
            "warmup": args.warmup,
            "repeat": args.repeat,
            "seconds": round(seconds),
        }
        print(json.dumps(result))
        return 0
    finally:
        if created and not args.keep:
            try:
                admin_execute(args.admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            except Exception as error:  # cleanup must not hide the real error
                log(f"could not drop {database}: {error!r}")
        if args.keep:
            log(f"kept database {database} and valgrind logs in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
