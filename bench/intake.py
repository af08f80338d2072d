"""The public request form under load, against a minimal Flask app.

    .venv/bin/python bench/intake.py [--submissions 3000] [--clients 50] [--warmup 200]
                                     [--workers 5] [--pupils 2000] [--schools 8]
                                     [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
                                     [--redis-url redis://127.0.0.1:6379/9] [--keep]

Creates the database ``rd_bench_intake_<pid>``, migrates and seeds it with
``flask --app wsgi db upgrade`` / ``flask --app wsgi demo seed``, flushes
Redis db 9, and serves the real app (``wsgi:app``) under gunicorn in
production mode with secrets generated for the run, ``REDIS_URL`` set (rate
limits in Redis) and no ``SMTP_URL`` (mail stays in the outbox table), behind
one trusted proxy hop (``RIGHTSDESK_PROXY_HOPS=1``).

A submission is what a parent's browser does: GET ``/`` (the form, its CSRF
token and the session cookie), then POST ``/`` with valid answers for a
random seeded school, from its own client address in ``X-Forwarded-For`` (so
the per-address limit of 10 an hour never trips, as behind a real proxy). It
is OK only when the POST answers 302 to ``/request/<uuid>/confirm``.
Afterwards the cases in the database must be exactly the OK submissions.

Baseline, in the same run with the same gunicorn settings and the same
clients: GET on ``bench/minimal_app.py`` (one route, a short text), as many
requests as the form made. ``ratio`` = mean latency of a form request (GET
and POST together) / mean latency of a minimal request.

Then, on the same server, a paced (open-loop) phase: ``--paced``
submissions arriving at random (Poisson) at ``--paced-load`` (default half)
of the rate the saturated phase reached, each taken by the next free client
of the 50: latency under a given load, where the saturated phase (clients
never pausing) measures capacity. Its figures are reported beside, not
instead of, the saturated ones; the target line is the saturated phase's.

The HTTP client is asyncio streams (HTTP/1.1, one connection per request, as
gunicorn's sync workers close the connection after each response): no
dependency, and little client CPU taken from the two the server shares.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import redis  # noqa: E402

from app.config import new_master_key_entry  # noqa: E402

VENV_BIN = Path(sys.executable).parent
CSRF_RE = re.compile(rb'name="csrf_token" value="([^"]+)"')
CONFIRM_RE = re.compile(r"^/request/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/confirm$")
FIRST_NAMES = ("Alex", "Sam", "Jordan", "Priya", "Oliver", "Amelia", "Noah", "Isla", "Mohammed", "Freya")
LAST_NAMES = ("Smith", "Jones", "Patel", "Williams", "Brown", "Khan", "Taylor", "Evans", "Wilson", "Davies")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- HTTP


class HTTPError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    seconds: float

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    def all_headers(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key == name]


async def http(port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Response:
    """One HTTP/1.1 request on a fresh connection, timed from connect to the
    last byte of the body."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        parsed = []
        for line in header_lines:
            name, _, value = line.partition(":")
            parsed.append((name.strip().lower(), value.strip()))
        length = next((int(value) for name, value in parsed if name == "content-length"), None)
        content = await (reader.readexactly(length) if length is not None else reader.read())
    finally:
        writer.close()
    return Response(status, parsed, content, time.perf_counter() - started)


def session_cookie(response: Response) -> str:
    """``name=value`` pairs of every Set-Cookie, to send back by hand: the
    session cookie is ``__Host-`` and Secure, which a browser-like cookie jar
    keeps off plain http even on 127.0.0.1."""
    return "; ".join(value.split(";", 1)[0] for value in response.all_headers("set-cookie"))


# --------------------------------------------------------------------------- load


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what)


@dataclass
class FormRun:
    get: Stats = field(default_factory=Stats)
    post: Stats = field(default_factory=Stats)
    case_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0


def client_address(number: int) -> str:
    """10.0.0.1, 10.0.0.2, ... a distinct address per submission."""
    number += 1
    return f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"


def form_data(number: int, school_id: str, token: str, rng: random.Random) -> bytes:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return urlencode(
        {
            "csrf_token": token,
            "request_type": "access",
            "requester_relationship": "parent_carer",
            "organisation_id": school_id,
            "subject_first_name": first,
            "subject_last_name": f"{last}-{number}",
            "subject_date_of_birth-day": str(rng.randint(1, 28)),
            "subject_date_of_birth-month": str(rng.randint(1, 12)),
            "subject_date_of_birth-year": str(rng.randint(2010, 2021)),
            "subject_role": "pupil",
            "subject_upn": "",
            "subject_staff_number": "",
            "description": "Everything you hold about my child: attendance, assessments and behaviour.",
            "requester_name": f"{rng.choice(FIRST_NAMES)} {last}",
            "requester_email": f"parent{number}@example.com",
            "requester_phone": "",
            "website": "",
        }
    ).encode()


async def submit_once(port: int, number: int, school_id: str, run: FormRun, rng: random.Random) -> None:
    forwarded = {"X-Forwarded-For": client_address(number), "User-Agent": "rd-bench-intake"}
    try:
        page = await http(port, "GET", "/", forwarded)
    except (OSError, asyncio.IncompleteReadError, ValueError) as error:
        run.get.fail(f"GET /: {error!r}")
        return
    run.get.latencies.append(page.seconds)
    token = CSRF_RE.search(page.body)
    cookie = session_cookie(page)
    if page.status != 200 or token is None or not cookie:
        run.get.fail(f"GET / answered {page.status} (token {'found' if token else 'missing'})")
        return
    body = form_data(number, school_id, token.group(1).decode(), rng)
    headers = {**forwarded, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    try:
        sent = await http(port, "POST", "/", headers, body)
    except (OSError, asyncio.IncompleteReadError, ValueError) as error:
        run.post.fail(f"POST /: {error!r}")
        return
    run.post.latencies.append(sent.seconds)
    matched = CONFIRM_RE.match(urlsplit(sent.header("location") or "").path)
    if sent.status != 302 or matched is None:
        run.post.fail(f"POST / answered {sent.status} to {sent.header('location')!r}")
        return
    run.case_ids.append(matched.group(1))


async def run_form(port: int, schools: list[str], start: int, count: int, clients: int) -> FormRun:
    run, rng = FormRun(), random.Random(start)
    numbers = iter(range(start, start + count))

    async def client() -> None:
        for number in numbers:
            await submit_once(port, number, rng.choice(schools), run, rng)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    run.seconds = time.perf_counter() - started
    return run


async def run_paced(
    port: int, schools: list[str], start: int, count: int, clients: int, rate: float
) -> tuple[FormRun, list[float]]:
    """``count`` submissions arriving at ``rate`` a second (Poisson), each
    taken by the next free client of ``clients``. Returns the run and, per
    submission, how late it started after it arrived (a client was busy):
    open-loop load, so latency under a given load rather than at saturation."""
    run, rng = FormRun(), random.Random(start)
    arrivals, moment = [], 0.0
    for _ in range(count):
        moment += rng.expovariate(rate)
        arrivals.append(moment)
    pending, late = iter(enumerate(arrivals)), []
    began = time.perf_counter()

    async def client() -> None:
        for index, arrival in pending:
            wait = began + arrival - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            late.append(max(0.0, -wait))
            await submit_once(port, start + index, rng.choice(schools), run, rng)

    await asyncio.gather(*(client() for _ in range(clients)))
    run.seconds = time.perf_counter() - began
    return run, late


async def run_minimal(port: int, count: int, clients: int) -> tuple[Stats, float]:
    stats, remaining = Stats(), iter(range(count))

    async def client() -> None:
        for _ in remaining:
            try:
                response = await http(port, "GET", "/", {"User-Agent": "rd-bench-intake"})
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                stats.fail(f"GET /: {error!r}")
                continue
            stats.latencies.append(response.seconds)
            if response.status != 200 or response.body != b"ok":
                stats.fail(f"GET / answered {response.status}")

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return stats, time.perf_counter() - started


# --------------------------------------------------------------------------- figures


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(fraction * len(ordered) + 0.999999) - 1))]


def summary(latencies: list[float], errors: int, seconds: float) -> dict[str, float]:
    """Count, rate and latency figures of one kind of request (all 0 when
    none answered, so the JSON line stays valid)."""
    count = len(latencies)
    if not count:
        return dict.fromkeys(("rps", "mean_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms"), 0.0) | {
            "requests": 0,
            "errors": errors,
        }
    return {
        "requests": count,
        "rps": count / seconds if seconds else 0.0,
        "mean_ms": 1000 * sum(latencies) / count,
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p95_ms": 1000 * percentile(latencies, 0.95),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "max_ms": 1000 * max(latencies),
        "errors": errors,
    }


def table(rows: list[tuple[str, dict[str, float]]]) -> str:
    out = [
        "| requests | count | req/s | mean ms | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in rows:
        out.append(
            f"| {name} | {s['requests']:,} | {s['rps']:,.0f} | {s['mean_ms']:.1f} | {s['p50_ms']:.1f} | "
            f"{s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {s['max_ms']:.1f} | {s['errors']} |"
        )
    return "\n".join(out)


# --------------------------------------------------------------------------- services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin_execute(admin_url: str, sql: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def flask(env: dict[str, str], *args: str) -> None:
    command = [str(VENV_BIN / "flask"), "--app", "wsgi", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def prepare_database(
    args: argparse.Namespace, database_url: str, *, base_url: str, workdir: Path
) -> dict[str, str]:
    """Migrate and seed the run's (empty) database; the production
    environment the app runs with, secrets generated for the run."""
    env = {k: v for k, v in os.environ.items() if k not in ("SMTP_URL", "FLASK_APP", "RIGHTSDESK_ENV")}
    env.update(
        {
            "RIGHTSDESK_ENV": "production",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "RIGHTSDESK_MASTER_KEYS": new_master_key_entry("bench"),
            "RIGHTSDESK_BASE_URL": base_url,
            "REDIS_URL": args.redis_url,
            "RIGHTSDESK_PROXY_HOPS": "1",
            "RIGHTSDESK_INSTANCE": str(workdir / "instance"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    log(f"migrating {urlsplit(database_url).path.lstrip('/')}")
    flask(env, "db", "upgrade")
    log(f"seeding {args.pupils:,} pupils in {args.schools} schools")
    flask(
        env,
        "demo",
        "seed",
        "--force",
        "--pupils",
        str(args.pupils),
        "--schools",
        str(args.schools),
        "--seed",
        "1",
        "--as-of",
        "2026-11-22",
    )
    return env


def gunicorn_command(target: str, port: int, args: argparse.Namespace) -> list[str]:
    # The same settings for the app and the baseline; only the target differs.
    return [
        str(VENV_BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--backlog",
        "2048",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        target,
    ]


class Server:
    """A gunicorn master in its own process group, stopped by its own pid."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name, self.log_path = name, log_path
        self.log_file = log_path.open("w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, port: int, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited: see {self.log_path}\n{self.log_path.read_text()[-3000:]}"
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(
                        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
                    )
                    if sock.recv(12).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s: see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds of a gunicorn master and its workers (live children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def database_cpu_seconds(admin_url: str, database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to ``database``
    (the app's pooled connections), by pid."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
        pids = [row[0] for row in rows]
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--submissions", type=int, default=3000, help="measured form submissions (GET + POST)"
    )
    parser.add_argument("--warmup", type=int, default=200, help="submissions before the clock starts")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn sync workers"
    )
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="threads a worker (gthread)")
    parser.add_argument(
        "--paced", type=int, default=600, help="submissions of the paced (open-loop) phase; 0 to skip it"
    )
    parser.add_argument(
        "--paced-load", type=float, default=0.5, help="the paced phase's arrival rate, a share of capacity"
    )
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--schools", type=int, default=8)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--keep", action="store_true", help="keep the database and the server logs")
    args = parser.parse_args()

    database = f"rd_bench_intake_{os.getpid()}"
    database_url = urlsplit(args.admin_url)._replace(path=f"/{database}").geturl()
    workdir = Path(tempfile.mkdtemp(prefix="rd_bench_intake_"))
    servers: list[Server] = []
    created = ok = False
    load_start = os.getloadavg()[0]
    try:
        redis.Redis.from_url(args.redis_url).flushdb()
        admin_execute(args.admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin_execute(args.admin_url, f'CREATE DATABASE "{database}"')
        created = True

        port = free_port()
        env = prepare_database(args, database_url, base_url=f"http://127.0.0.1:{port}", workdir=workdir)
        with psycopg.connect(database_url) as conn:
            schools = [
                str(row[0])
                for row in conn.execute(
                    "SELECT id FROM organisations WHERE kind IN ('school', 'nursery') ORDER BY name"
                )
            ]
            cases_before = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        log(f"{len(schools)} schools and nurseries to ask; {cases_before} cases before the run")

        requests = 2 * args.submissions

        # The baseline: the minimal app under the same gunicorn settings, once
        # before and once after the form (pooled), so drift in machine load
        # during the run weighs on both sides.
        minimal_env = {k: v for k, v in os.environ.items() if k != "FLASK_APP"}
        minimal_env["PYTHONPATH"] = str(ROOT / "bench")
        half = requests // 2

        def baseline(label: str, count: int) -> tuple[Stats, float, float]:
            minimal_port = free_port()
            server = Server(
                "minimal app",
                gunicorn_command("minimal_app:app", minimal_port, args),
                minimal_env,
                workdir / f"minimal_{label}.log",
            )
            servers.append(server)
            server.wait_ready(minimal_port, "/")
            log(f"baseline ({label}): warm-up, then {count:,} GETs with {args.clients} clients")
            asyncio.run(run_minimal(minimal_port, 2 * args.warmup, args.clients))
            cpu_before, client_before = process_cpu_seconds(server.process.pid), time.process_time()
            stats, seconds = asyncio.run(run_minimal(minimal_port, count, args.clients))
            cpu = process_cpu_seconds(server.process.pid) - cpu_before
            client_cpu[0] += time.process_time() - client_before
            server.stop()
            servers.remove(server)
            return stats, seconds, cpu

        client_cpu = [0.0]  # the load generator's own CPU during the minimal app's phases
        before = baseline("before", half)

        # The real app.
        server = Server("rights desk", gunicorn_command("wsgi:app", port, args), env, workdir / "app.log")
        servers.append(server)
        server.wait_ready(port, "/healthz")
        log(f"form: {args.warmup} warm-up submissions, then {args.submissions:,} with {args.clients} clients")
        warm = asyncio.run(run_form(port, schools, 0, args.warmup, args.clients))
        cpu_before, client_before = process_cpu_seconds(server.process.pid), time.process_time()
        db_before = database_cpu_seconds(args.admin_url, database)
        run = asyncio.run(run_form(port, schools, args.warmup, args.submissions, args.clients))
        app_cpu = process_cpu_seconds(server.process.pid) - cpu_before
        form_client_cpu = time.process_time() - client_before
        db_after = database_cpu_seconds(args.admin_url, database)
        db_cpu = sum(max(0.0, spent - db_before.get(pid, 0.0)) for pid, spent in db_after.items())
        capacity = len(run.case_ids) / run.seconds  # submissions a second at saturation
        paced_rate = args.paced_load * capacity
        paced, late = FormRun(), []
        if args.paced and paced_rate > 0:
            log(
                f"paced: {args.paced:,} submissions arriving at {paced_rate:.0f}/s "
                f"({args.paced_load:.0%} of {capacity:.0f}/s), up to {args.clients} at once"
            )
            paced, late = asyncio.run(
                run_paced(
                    port,
                    schools,
                    args.warmup + args.submissions,
                    args.paced,
                    args.clients,
                    paced_rate,
                )
            )
        server.stop()
        servers.remove(server)

        after = baseline("after", requests - half)
        minimal_stats = Stats(
            before[0].latencies + after[0].latencies,
            before[0].errors + after[0].errors,
            before[0].error_samples + after[0].error_samples,
        )
        minimal_seconds, minimal_cpu = before[1] + after[1], before[2] + after[2]

        # Every OK submission made exactly one case; nothing else made one.
        expected = warm.case_ids + run.case_ids + paced.case_ids
        with psycopg.connect(database_url) as conn:
            stored = [str(row[0]) for row in conn.execute("SELECT id FROM cases")]
            codes = conn.execute(
                "SELECT count(*) FROM outbox_messages WHERE category = 'intake.confirmation_code'"
            ).fetchone()[0]
        stored_new = len(stored) - cases_before
        missing = set(expected) - set(stored)
        unexpected = len(stored) - cases_before - len(set(expected) & set(stored))
        duplicate_answers = len(expected) - len(set(expected))
        verified = not missing and unexpected == 0 and duplicate_answers == 0 and stored_new == len(expected)

        get = summary(run.get.latencies, run.get.errors, run.seconds)
        post = summary(run.post.latencies, run.post.errors, run.seconds)
        form = summary(run.get.latencies + run.post.latencies, run.get.errors + run.post.errors, run.seconds)
        minimal = summary(minimal_stats.latencies, minimal_stats.errors, minimal_seconds)
        ratio = form["mean_ms"] / minimal["mean_ms"]
        wall_ratio = (run.seconds / max(1, form["requests"])) / (
            minimal_seconds / max(1, minimal["requests"])
        )

        print(
            f"Public request form, {args.clients} clients, gunicorn {args.workers} {args.worker_class} "
            f"workers ({args.threads} thread(s) each), {os.cpu_count()} CPUs, {len(schools)} schools"
        )
        print()
        print(
            table(
                [("form GET /", get), ("form POST /", post), ("form, both", form), ("minimal GET /", minimal)]
            )
        )
        print()
        print(
            f"submissions: {len(run.case_ids):,} OK of {args.submissions:,} in {run.seconds:.1f} s "
            f"({len(run.case_ids) / run.seconds:.0f}/s); warm-up {len(warm.case_ids)} OK of {args.warmup}"
        )
        form_cpu_ms = 1000 * app_cpu / max(1, form["requests"])
        minimal_cpu_ms = 1000 * minimal_cpu / max(1, minimal["requests"])
        db_cpu_ms = 1000 * db_cpu / max(1, form["requests"])
        form_client_ms = 1000 * form_client_cpu / max(1, form["requests"])
        minimal_client_ms = 1000 * client_cpu[0] / max(1, minimal["requests"])
        print(
            f"server CPU: form {form_cpu_ms:.2f} ms a request ({app_cpu:.1f} s), "
            f"minimal {minimal_cpu_ms:.2f} ms ({minimal_cpu:.1f} s)"
        )
        print(
            f"also on the same CPUs: PostgreSQL {db_cpu_ms:.2f} ms a form request ({db_cpu:.1f} s); "
            f"this load generator {form_client_ms:.2f} ms a form request, "
            f"{minimal_client_ms:.2f} ms a minimal request"
        )
        halves = [summary(part[0].latencies, part[0].errors, part[1]) for part in (before, after)]
        print(
            f"minimal app before the form: {halves[0]['rps']:,.0f} req/s, "
            f"mean {halves[0]['mean_ms']:.1f} ms; "
            f"after: {halves[1]['rps']:,.0f} req/s, mean {halves[1]['mean_ms']:.1f} ms"
        )
        print(f"ratio (mean latency form / minimal): {ratio:.2f}; by wall time per request: {wall_ratio:.2f}")
        print(
            f"database check: {stored_new:,} new cases, {len(expected):,} OK submissions "
            "(warm-up and measured), "
            f"{len(missing)} missing, {unexpected} unexpected, {duplicate_answers} duplicate ids, "
            f"{codes:,} confirmation-code emails in the outbox: {'OK' if verified else 'FAILED'}"
        )
        for stats, name in ((run.get, "GET"), (run.post, "POST"), (minimal_stats, "minimal")):
            for sample in stats.error_samples:
                print(f"  {name} error: {sample}")
        paced_form = summary(
            paced.get.latencies + paced.post.latencies, paced.get.errors + paced.post.errors, paced.seconds
        )
        paced_late_p99 = 1000 * percentile(late, 0.99) if late else 0.0
        if args.paced:
            print()
            print(
                f"paced ({args.paced_load:.0%} of the form's capacity: {paced_rate:.0f} submissions/s "
                f"arriving at random, up to {args.clients} at once, "
                f"{len(paced.case_ids):,} OK of {args.paced:,}):"
            )
            print(
                table(
                    [
                        ("paced GET /", summary(paced.get.latencies, paced.get.errors, paced.seconds)),
                        ("paced POST /", summary(paced.post.latencies, paced.post.errors, paced.seconds)),
                        ("paced, both", paced_form),
                    ]
                )
            )
            print(f"started late (every client busy): p99 {paced_late_p99:.1f} ms")
        errors = sum(
            (form["errors"], minimal["errors"], warm.get.errors, warm.post.errors, paced_form["errors"])
        )
        load_end = os.getloadavg()[0]
        print(f"load average (1 min) at start {load_start:.2f}, at end {load_end:.2f}")
        target = ratio <= 5 and form["p99_ms"] < 100 and errors == 0
        print(f"target (ratio <= 5, p99 < 100 ms, no errors): {'met' if target else 'missed'}")
        print(
            json.dumps(
                {
                    "bench": "intake",
                    "ratio": round(ratio, 2),
                    "p99_ms": round(form["p99_ms"], 1),
                    "errors": errors,
                    "get_rps": round(get["rps"]),
                    "get_p50_ms": round(get["p50_ms"], 1),
                    "get_p95_ms": round(get["p95_ms"], 1),
                    "get_p99_ms": round(get["p99_ms"], 1),
                    "post_rps": round(post["rps"]),
                    "post_p50_ms": round(post["p50_ms"], 1),
                    "post_p95_ms": round(post["p95_ms"], 1),
                    "post_p99_ms": round(post["p99_ms"], 1),
                    "form_mean_ms": round(form["mean_ms"], 2),
                    "minimal_rps": round(minimal["rps"]),
                    "minimal_mean_ms": round(minimal["mean_ms"], 2),
                    "minimal_p99_ms": round(minimal["p99_ms"], 1),
                    "minimal_mean_ms_before": round(halves[0]["mean_ms"], 2),
                    "minimal_mean_ms_after": round(halves[1]["mean_ms"], 2),
                    "form_cpu_ms": round(form_cpu_ms, 2),
                    "minimal_cpu_ms": round(minimal_cpu_ms, 2),
                    "db_cpu_ms": round(db_cpu_ms, 2),
                    "client_cpu_ms_form": round(form_client_ms, 2),
                    "client_cpu_ms_minimal": round(minimal_client_ms, 2),
                    "wall_ratio": round(wall_ratio, 2),
                    "paced_rate": round(paced_rate, 1),
                    "paced_p50_ms": round(paced_form["p50_ms"], 1),
                    "paced_p99_ms": round(paced_form["p99_ms"], 1),
                    "paced_late_p99_ms": round(paced_late_p99, 1),
                    "submissions": args.submissions,
                    "ok": len(run.case_ids),
                    "cases_verified": verified,
                    "clients": args.clients,
                    "workers": args.workers,
                    "worker_class": args.worker_class,
                    "threads": args.threads,
                    "load_start": round(load_start, 2),
                    "load_end": round(load_end, 2),
                }
            )
        )
        ok = verified and errors == 0
        return 0 if ok else 1
    finally:
        for server in servers:
            server.stop()
        if created and not args.keep:
            admin_execute(args.admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if args.keep or not ok:
            log(f"server logs kept in {workdir}" + (f", database {database}" if args.keep else ""))
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
