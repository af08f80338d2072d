"""The whole service under a mixed load, against a minimal Flask app.

    .venv/bin/python bench/load.py [--duration 30] [--warmup 5] [--clients 8]
                                   [--workers 2] [--worker-class gthread] [--threads 4]
                                   [--mix submit=20,confirm=10,status=40,console=30]
                                   [--pupils 1000] [--schools 4]
                                   [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
                                   [--redis-url redis://127.0.0.1:6379/15] [--drain-timeout 300]

Deploys the service as production runs it, on this machine and for this run
only: the database ``rd_load`` (migrated, demo-seeded), Redis db 15 (rate
limits and the RQ queues), ``gunicorn wsgi:app`` with ``RIGHTSDESK_ENV=production``
and secrets generated for the run, two RQ workers (``flask worker``) on the
app's queues, and an SMTP sink (aiosmtpd, in this process) as ``SMTP_URL``,
so every email is a ``mail.deliver`` job that a worker must finish.

Concurrent clients then drive a mix of: a form submission (GET ``/`` for
the CSRF token and cookie, POST ``/``), a confirmation (GET the confirm page,
POST the 6-digit code read from the email the sink received), a status page
view (``/request/status/<token>``, tokens from confirmed pages) and a console
read (case list, dashboard or a case page, by staff users created for the
run with a known TOTP secret, each client signed in once beforehand).

Afterwards, once the workers have drained: every OK submission must be a
case, every confirmed one confirmed, every job succeeded (none failed in the
database or in RQ), every email sent and received by the sink.

Baseline, in the same run, same gunicorn settings and clients:
``bench/minimal_app.py``, half of its time before the service and half after.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import json
import logging
import os
import random
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
import pyotp
import redis
from aiosmtpd.controller import Controller
from intake import (
    CONFIRM_RE,
    ROOT,
    VENV_BIN,
    Response,
    Server,
    Stats,
    admin_execute,
    client_address,
    flask,
    form_data,
    free_port,
    http,
    log,
    percentile,
    summary,
    table,
)

from app.config import new_master_key_entry

DATABASE = "rd_load"
# Any attribute order: the public form writes its own input, WTForms its own.
CSRF_RE = re.compile(rb'name="csrf_token"[^>]*?value="([^"]+)"')
STATUS_RE = re.compile(rb'href="[^"]*?(/request/status/[A-Za-z0-9_\-]+)"')
CODE_RE = re.compile(r"confirmation code is (\d{6})")
KINDS = ("submit", "confirm", "status", "console")
CONSOLE_PAGES = ("console list", "console dashboard", "console case")
LABELS = ("form GET", "form POST", "confirm GET", "confirm POST", "status GET", *CONSOLE_PAGES)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# --------------------------------------------------------------------------- mail sink


class MailSink:
    """Receives every email the workers deliver; hands out confirmation codes
    by recipient."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: dict[str, tuple[str, float]] = {}
        self.message_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        subject = str(make_header(decode_header(message.get("Subject", ""))))
        found = CODE_RE.search(subject)
        with self.lock:
            self.message_ids.append(message.get("Message-ID", ""))
            if found:
                for recipient in envelope.rcpt_tos:
                    self.codes[recipient.lower()] = (found.group(1), time.perf_counter())
        return "250 OK"

    def code_for(self, address: str) -> tuple[str, float] | None:
        with self.lock:
            return self.codes.get(address.lower())


# --------------------------------------------------------------------------- clients


def remember(jar: dict[str, str], response: Response) -> None:
    # Kept by hand: the session cookie is __Host- and Secure, which a
    # browser-like jar would not send back over plain http.
    for value in response.all_headers("set-cookie"):
        pair, _, attributes = value.partition(";")
        name, _, content = pair.partition("=")
        if "max-age=0" in attributes.lower() or "1970" in attributes:
            jar.pop(name.strip(), None)
        else:
            jar[name.strip()] = content.strip()


def cookie_header(jar: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in jar.items())} if jar else {}


@dataclass
class Submission:
    case_id: str
    address: str
    cookies: dict[str, str]
    posted_at: float


@dataclass
class Shared:
    port: int
    schools: list[str]
    sink: MailSink
    rng: random.Random
    stats: dict[str, Stats] = field(default_factory=lambda: {label: Stats() for label in LABELS})
    ops: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*KINDS, "confirm→status"), 0))
    numbers: int = 0
    pending: deque[Submission] = field(default_factory=deque)
    submitted: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    status_paths: list[str] = field(default_factory=list)
    mail_latencies: list[float] = field(default_factory=list)

    def next_number(self) -> int:
        self.numbers += 1
        return self.numbers

    def reset_stats(self) -> None:
        self.stats = {label: Stats() for label in LABELS}
        self.ops = dict.fromkeys(self.ops, 0)
        self.mail_latencies = []

    async def call(
        self,
        label: str,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes = b"",
        expect: int = 200,
    ) -> Response | None:
        """One request, its latency under ``label``; None (counted as an
        error) when it failed or answered anything but ``expect``."""
        stats = self.stats[label]
        headers = {"X-Forwarded-For": client_address(self.next_number()), "User-Agent": "rd-load", **headers}
        try:
            response = await http(self.port, method, path, headers, body)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            stats.fail(f"{method} {path}: {error!r}")
            return None
        stats.latencies.append(response.seconds)
        if response.status != expect:
            stats.fail(f"{method} {path} answered {response.status}, not {expect}")
            return None
        return response


async def submit(shared: Shared) -> None:
    jar: dict[str, str] = {}
    page = await shared.call("form GET", "GET", "/", {})
    token = CSRF_RE.search(page.body) if page else None
    if page is None or token is None:
        if page is not None:
            shared.stats["form GET"].fail("GET / without a CSRF token")
        return
    remember(jar, page)
    number = shared.next_number()
    body = form_data(number, shared.rng.choice(shared.schools), token.group(1).decode(), shared.rng)
    sent = await shared.call("form POST", "POST", "/", {**FORM, **cookie_header(jar)}, body, expect=302)
    if sent is None:
        return
    matched = CONFIRM_RE.match(urlsplit(sent.header("location") or "").path)
    if matched is None:
        shared.stats["form POST"].fail(f"POST / redirected to {sent.header('location')!r}")
        return
    remember(jar, sent)
    shared.submitted.append(matched.group(1))
    shared.pending.append(
        Submission(matched.group(1), f"parent{number}@example.com", jar, time.perf_counter())
    )


def ready_submission(shared: Shared) -> tuple[Submission, str] | None:
    """The oldest submission whose code has arrived (others stay queued)."""
    for index, waiting in enumerate(shared.pending):
        arrived = shared.sink.code_for(waiting.address)
        if arrived:
            del shared.pending[index]
            shared.mail_latencies.append(arrived[1] - waiting.posted_at)
            return waiting, arrived[0]
    return None


async def confirm(shared: Shared, submission: Submission, code: str) -> None:
    path = f"/request/{submission.case_id}/confirm"
    page = await shared.call("confirm GET", "GET", path, cookie_header(submission.cookies))
    token = CSRF_RE.search(page.body) if page else None
    if page is None or token is None:
        if page is not None:
            shared.stats["confirm GET"].fail("confirm page without a CSRF token")
        return
    remember(submission.cookies, page)
    body = urlencode({"csrf_token": token.group(1).decode(), "code": code}).encode()
    done = await shared.call(
        "confirm POST", "POST", path, {**FORM, **cookie_header(submission.cookies)}, body
    )
    link = STATUS_RE.search(done.body) if done else None
    if done is None or link is None:
        if done is not None:
            shared.stats["confirm POST"].fail("confirmed page without a status link")
        return
    shared.confirmed.append(submission.case_id)
    shared.status_paths.append(link.group(1).decode())


async def status(shared: Shared) -> None:
    await shared.call("status GET", "GET", shared.rng.choice(shared.status_paths), {})


async def console(shared: Shared, jar: dict[str, str]) -> None:
    label = shared.rng.choice(CONSOLE_PAGES)
    path = {"console list": "/console/", "console dashboard": "/console/dashboard"}.get(label)
    path = path or f"/console/cases/{shared.rng.choice(shared.confirmed)}"
    response = await shared.call(label, "GET", path, cookie_header(jar))
    if response is not None:
        remember(jar, response)


async def sign_in(
    shared: Shared, jar: dict[str, str], email_address: str, password: str, secret: str
) -> None:
    """Password, then TOTP, as a browser does; raises if the console refuses."""
    steps = (
        (
            "/console/sign-in",
            {"email": email_address, "password": password, "next": ""},
            "/console/sign-in/code",
        ),
        ("/console/sign-in/code", {"code": pyotp.TOTP(secret).now()}, "/console/"),
    )
    for path, fields, then in steps:
        page = await shared.call("console list", "GET", path, cookie_header(jar))
        token = CSRF_RE.search(page.body) if page else None
        if page is None or token is None:
            raise RuntimeError(f"sign-in: GET {path} failed: {shared.stats['console list'].error_samples}")
        remember(jar, page)
        body = urlencode({"csrf_token": token.group(1).decode(), **fields}).encode()
        sent = await shared.call(
            "console list", "POST", path, {**FORM, **cookie_header(jar)}, body, expect=302
        )
        if sent is None or urlsplit(sent.header("location") or "").path != then:
            where = sent.header("location") if sent else shared.stats["console list"].error_samples
            raise RuntimeError(f"sign-in: POST {path} did not lead to {then}: {where}")
        remember(jar, sent)


async def client(shared: Shared, jar: dict[str, str], weights: list[int], deadline: float) -> None:
    while time.perf_counter() < deadline:
        kind = shared.rng.choices(KINDS, weights)[0]
        if kind == "confirm":
            ready = ready_submission(shared)
            if ready is None:
                # No email has arrived yet for any waiting submission: view a
                # status page instead (counted), so the client never idles.
                shared.ops["confirm→status"] += 1
                kind = "status"
            else:
                shared.ops["confirm"] += 1
                await confirm(shared, *ready)
                continue
        shared.ops[kind] += 1
        if kind == "submit":
            await submit(shared)
        elif kind == "status":
            await status(shared)
        else:
            await console(shared, jar)


async def prime(shared: Shared, per_client: int, clients: int, timeout: float = 60.0) -> None:
    """Submissions confirmed before the clock starts, so there are status
    pages and cases to read from the first request."""
    await asyncio.gather(*(submit(shared) for _ in range(per_client * clients)))
    deadline = time.perf_counter() + timeout
    while shared.pending and time.perf_counter() < deadline:
        ready = ready_submission(shared)
        if ready is None:
            await asyncio.sleep(0.1)
        else:
            await confirm(shared, *ready)
    if not shared.status_paths:
        raise RuntimeError("no submission could be confirmed: are the workers and the mail sink up?")


async def run_mix(shared: Shared, jars: list[dict[str, str]], weights: list[int], seconds: float) -> float:
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(client(shared, jar, weights, deadline) for jar in jars))
    return time.perf_counter() - started


async def run_minimal(port: int, clients: int, seconds: float) -> tuple[Stats, float]:
    stats = Stats()
    started = time.perf_counter()
    deadline = started + seconds

    async def one() -> None:
        while time.perf_counter() < deadline:
            try:
                response = await http(port, "GET", "/", {"User-Agent": "rd-load"})
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                stats.fail(f"GET /: {error!r}")
                continue
            stats.latencies.append(response.seconds)
            if response.status != 200:
                stats.fail(f"GET / answered {response.status}")

    await asyncio.gather(*(one() for _ in range(clients)))
    return stats, time.perf_counter() - started


# --------------------------------------------------------------------------- figures


def cpu_seconds(pid: int) -> float:
    """CPU of a process, its finished children (RQ's work horses) and its
    live children (gunicorn's workers)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [pid] + ([int(c) for c in children.read_text().split()] if children.exists() else [])
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15]) / ticks
    return total


# --------------------------------------------------------------------------- set-up


def gunicorn_command(target: str, port: int, args: argparse.Namespace) -> list[str]:
    # The same settings for the app and the baseline; only the target differs.
    command = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)]
    command += ["--worker-class", args.worker_class, "--backlog", "2048", "--timeout", "60"]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads)]
    # No control socket: its default path is one per user, shared by every
    # gunicorn on the machine (the baseline's, other benchmarks').
    return [*command, "--graceful-timeout", "5", "--no-control-socket", target]


def prepare(env: dict[str, str], count: int) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Caseworkers (every organisation) with a TOTP secret already in force,
    written with the app's own services, as (email, password, secret); and
    every queue a registered task is sent to (the workers listen on all)."""
    from app import create_app
    from app.accounts import totp
    from app.accounts.models import Role
    from app.accounts.services import create_user
    from app.extensions import db
    from app.jobs import registry

    app = create_app(env)
    made = []
    with app.app_context():
        for number in range(count):
            address, password, secret = (
                f"load{number}@example.org",
                secrets.token_urlsafe(18),
                pyotp.random_base32(),
            )
            user = create_user(
                email=address, name=f"Load Client {number}", password=password, role=Role.CASEWORKER
            )
            totp.activate_known_secret(user, secret)
            made.append((address, password, secret))
        db.session.commit()
        db.engine.dispose()
    queues = {registry.spec_for(name).queue for name in registry.registered_names()}
    return made, sorted(queues | {registry.DEFAULT_QUEUE})


def drain(database_url: str, connection: redis.Redis, queues: list[str], timeout: float) -> float:
    """Wait until no job is queued or running, in the database and in RQ."""
    from rq import Queue

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with psycopg.connect(database_url) as conn:
            busy = conn.execute("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')").fetchone()[
                0
            ]
        in_rq = sum(
            len(q) + q.started_job_registry.count
            for q in (Queue(name, connection=connection) for name in queues)
        )
        if busy == 0 and in_rq == 0:
            return time.perf_counter() - started
        time.sleep(0.25)
    raise RuntimeError(f"jobs still queued or running after {timeout:.0f} s")


def check(
    database_url: str,
    shared: Shared,
    connection: redis.Redis,
    queues: list[str],
    cases_before: set[str],
    window: list[datetime],
) -> dict[str, object]:
    """Nothing lost: the database, RQ and the sink agree with what the
    clients were told."""
    from rq import Queue

    with psycopg.connect(database_url) as conn:
        stored = {str(row[0]) for row in conn.execute("SELECT id FROM cases")} - cases_before
        confirmed = {
            str(row[0]) for row in conn.execute("SELECT id FROM cases WHERE confirmed_at IS NOT NULL")
        }
        jobs = dict(conn.execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall())
        mail = dict(conn.execute("SELECT status, count(*) FROM outbox_messages GROUP BY status").fetchall())
        # Seconds in the queue (created -> started) and running, every job of the run.
        timings = conn.execute(
            "SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY started_at - created_at),"
            " percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY finished_at - started_at) FROM jobs"
        ).fetchone()
        # The workers never ran dry in the measured phase (a backlog built up
        # in priming): their CPU then over the jobs they finished is a job's cost.
        finished = conn.execute(
            "SELECT count(*) FROM jobs WHERE finished_at >= %s AND finished_at < %s", window
        ).fetchone()[0]
    submitted = set(shared.submitted)
    rq_failed = sum(Queue(name, connection=connection).failed_job_registry.count for name in queues)
    received = len(set(shared.sink.message_ids))
    result = {
        "submitted": len(shared.submitted),
        "cases_missing": len(submitted - stored),
        "cases_unexpected": len(stored - submitted),
        "duplicate_answers": len(shared.submitted) - len(submitted),
        "confirmed": len(shared.confirmed),
        "confirmed_missing": len(set(shared.confirmed) - confirmed),
        "jobs": {str(key): value for key, value in jobs.items()},
        "rq_failed": rq_failed,
        "mail": {str(key): value for key, value in mail.items()},
        "mail_received": received,
        "job_wait_ms": [round(1000 * t.total_seconds()) for t in timings[0] or ()],
        "job_run_ms": [round(1000 * t.total_seconds()) for t in timings[1] or ()],
        "jobs_in_phase": finished,
    }
    result["ok"] = (
        result["cases_missing"] == 0
        and result["cases_unexpected"] == 0
        and result["duplicate_answers"] == 0
        and result["confirmed_missing"] == 0
        and set(result["jobs"]) <= {"succeeded"}
        and rq_failed == 0
        and set(result["mail"]) <= {"sent"}
        and received == sum(mail.values())
    )
    return result


def parse_mix(text: str) -> list[int]:
    weights = dict.fromkeys(KINDS, 0)
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() not in weights or not value.strip().isdigit():
            raise argparse.ArgumentTypeError(
                f"--mix: {part!r} is not one of {', '.join(KINDS)} = a whole number"
            )
        weights[name.strip()] = int(value)
    return [weights[kind] for kind in KINDS]


def stop_on_sigterm(signum: int, frame: object) -> None:
    # A polite kill cleans up like Ctrl-C does.
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds of each phase")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of mix before the clock starts")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", choices=("gthread", "sync"), default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="threads a gthread worker")
    parser.add_argument("--rq-workers", type=int, default=2)
    parser.add_argument(
        "--rq-fork",
        action="store_true",
        help="fork a work horse per job (flask worker --fork), not run jobs in the worker (--no-fork)",
    )
    parser.add_argument(
        "--mix", type=parse_mix, default=parse_mix("submit=20,confirm=10,status=40,console=30")
    )
    parser.add_argument("--pupils", type=int, default=1000)
    parser.add_argument("--schools", type=int, default=4)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the client mix")
    parser.add_argument(
        "--drain-timeout", type=float, default=300.0, help="seconds the workers get to empty the queue"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    # Started in the background by a shell, SIGINT comes in ignored: Ctrl-C
    # (or kill -INT) must still clean up.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    database_url = urlsplit(args.admin_url)._replace(path=f"/{DATABASE}").geturl()
    workdir = Path(tempfile.mkdtemp(prefix="rd_load_"))
    connection = redis.Redis.from_url(args.redis_url)
    processes: list[Server] = []
    controller: Controller | None = None
    created = ok = False
    load = [os.getloadavg()[0]]
    try:
        connection.flushdb()
        admin_execute(args.admin_url, f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin_execute(args.admin_url, f'CREATE DATABASE "{DATABASE}"')
        created = True

        sink = MailSink()
        smtp_port, port = free_port(), free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line
        controller.start()
        env = {k: v for k, v in os.environ.items() if k not in ("FLASK_APP", "RIGHTSDESK_ENV")}
        env.update(
            {
                "RIGHTSDESK_ENV": "production",
                "DATABASE_URL": database_url,
                "SECRET_KEY": secrets.token_urlsafe(48),
                "RIGHTSDESK_MASTER_KEYS": new_master_key_entry("load"),
                "RIGHTSDESK_BASE_URL": f"http://127.0.0.1:{port}",
                "REDIS_URL": args.redis_url,
                "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                # The clients stand for many people behind one proxy: each
                # request has its own X-Forwarded-For (see the README).
                "RIGHTSDESK_PROXY_HOPS": "1",
                "RIGHTSDESK_INSTANCE": str(workdir / "instance"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        log(f"migrating {DATABASE}; seeding {args.pupils:,} pupils in {args.schools} schools")
        flask(env, "db", "upgrade")
        seed = ("--pupils", str(args.pupils), "--schools", str(args.schools), "--seed", "1")
        flask(env, "demo", "seed", "--force", *seed, "--as-of", "2026-11-22")
        staff, queues = prepare(env, args.clients)
        with psycopg.connect(database_url) as conn:
            cases_before = {str(row[0]) for row in conn.execute("SELECT id FROM cases")}
            schools = [
                str(row[0])
                for row in conn.execute("SELECT id FROM organisations WHERE kind IN ('school', 'nursery')")
            ]

        minimal_env = {k: v for k, v in os.environ.items() if k != "FLASK_APP"}
        minimal_env["PYTHONPATH"] = str(ROOT / "bench")

        def baseline(label: str, seconds: float) -> tuple[Stats, float]:
            minimal_port = free_port()
            server = Server(
                "minimal app",
                gunicorn_command("minimal_app:app", minimal_port, args),
                minimal_env,
                workdir / f"minimal_{label}.log",
            )
            processes.append(server)
            server.wait_ready(minimal_port, "/")
            log(f"baseline ({label}): {args.warmup:.0f} s warm-up, {seconds:.0f} s measured")
            asyncio.run(run_minimal(minimal_port, args.clients, args.warmup))
            measured = asyncio.run(run_minimal(minimal_port, args.clients, seconds))
            server.stop()
            processes.remove(server)
            return measured

        before = baseline("before", args.duration / 2)

        worker_command = [str(VENV_BIN / "flask"), "--app", "wsgi", "worker"]
        worker_command.append("--fork" if args.rq_fork else "--no-fork")
        for queue in queues:
            worker_command += ["--queue", queue]
        for number in range(args.rq_workers):
            processes.append(
                Server(f"RQ worker {number}", worker_command, env, workdir / f"worker{number}.log")
            )
        server = Server("rights desk", gunicorn_command("wsgi:app", port, args), env, workdir / "app.log")
        processes.append(server)
        server.wait_ready(port, "/healthz")

        shared = Shared(port, schools, sink, random.Random(args.seed))
        jars: list[dict[str, str]] = [{} for _ in staff]

        async def set_up() -> None:
            await asyncio.gather(
                *(sign_in(shared, jar, *login) for jar, login in zip(jars, staff, strict=True))
            )
            await prime(shared, 2, args.clients)

        log(f"signing in {len(staff)} staff users; priming with {2 * args.clients} confirmed submissions")
        asyncio.run(set_up())
        log(f"mix: {args.warmup:.0f} s warm-up, then {args.duration:.0f} s with {args.clients} clients")
        asyncio.run(run_mix(shared, jars, args.mix, args.warmup))
        load.append(os.getloadavg()[0])
        # Sign-in, priming and warm-up are not timed, but their errors count.
        warmup_errors = sum(s.errors for s in shared.stats.values())
        warmup_samples = [sample for s in shared.stats.values() for sample in s.error_samples]
        shared.reset_stats()
        cpu_before = {p.name: cpu_seconds(p.process.pid) for p in processes}
        client_before = time.process_time()
        window = [datetime.now(UTC)]
        seconds = asyncio.run(run_mix(shared, jars, args.mix, args.duration))
        window.append(datetime.now(UTC))
        client_cpu = time.process_time() - client_before
        cpu = {p.name: cpu_seconds(p.process.pid) - cpu_before[p.name] for p in processes}
        log("draining the workers")
        drained = drain(database_url, connection, queues, timeout=args.drain_timeout)
        for each in list(processes):
            each.stop()
            processes.remove(each)
        verified = check(database_url, shared, connection, queues, cases_before, window)

        after = baseline("after", args.duration - args.duration / 2)
        minimal_stats = Stats(before[0].latencies + after[0].latencies, before[0].errors + after[0].errors)
        minimal_stats.error_samples = before[0].error_samples + after[0].error_samples
        minimal = summary(minimal_stats.latencies, minimal_stats.errors, before[1] + after[1])
        load.append(os.getloadavg()[0])

        rows = [(label, summary(s.latencies, s.errors, seconds)) for label, s in shared.stats.items()]
        everything = [value for s in shared.stats.values() for value in s.latencies]
        app_errors = sum(s.errors for s in shared.stats.values())
        overall = summary(everything, app_errors, seconds)
        ratio = overall["mean_ms"] / minimal["mean_ms"]
        server_cpu = cpu["rights desk"]
        worker_cpu = sum(value for name, value in cpu.items() if name.startswith("RQ worker"))

        kind = args.worker_class + (f" x {args.threads} threads" if args.worker_class == "gthread" else "")
        print(
            f"Mixed load, {args.clients} clients, {args.duration:.0f} s, "
            f"gunicorn {args.workers} {kind} workers, {args.rq_workers} RQ workers, {os.cpu_count()} CPUs"
        )
        print()
        print(table([*rows, ("all (service)", overall), ("minimal GET /", minimal)]))
        print()
        print(f"operations: {', '.join(f'{name} {count:,}' for name, count in shared.ops.items())}")
        mail_ms = [1000 * value for value in shared.mail_latencies]
        if mail_ms:
            print(
                f"email delivery (POST answered → code at the sink, confirmed ones): "
                f"p50 {percentile(mail_ms, 0.5):.0f} ms, p99 {percentile(mail_ms, 0.99):.0f} ms"
            )
        print(
            f"CPU in the measured phase: gunicorn {server_cpu:.1f} s, RQ workers {worker_cpu:.1f} s, "
            f"load generator and mail sink {client_cpu:.1f} s (of {2 * seconds:.0f} CPU-seconds on 2 CPUs)"
        )
        in_phase = int(verified["jobs_in_phase"])  # type: ignore[call-overload]
        server_ms = 1000 * server_cpu / max(1, overall["requests"])
        job_ms = 1000 * worker_cpu / max(1, in_phase)
        print(
            f"CPU a request (gunicorn): {server_ms:.1f} ms; a job (RQ workers, {in_phase} jobs finished "
            f"in the phase): {job_ms:.1f} ms"
        )
        print(
            f"jobs: queued p50 {verified['job_wait_ms'][0]:,} / p99 {verified['job_wait_ms'][1]:,} ms, "
            f"running p50 {verified['job_run_ms'][0]:,} / p99 {verified['job_run_ms'][1]:,} ms; "
            f"drained {drained:.1f} s after the clients stopped"
        )
        print(
            f"lost requests: {verified['submitted']:,} OK submissions, {verified['cases_missing']} missing, "
            f"{verified['cases_unexpected']} unexpected; {verified['confirmed']:,} confirmed, "
            f"{verified['confirmed_missing']} not confirmed in the database; jobs {verified['jobs']}, "
            f"{verified['rq_failed']} failed in RQ; outbox {verified['mail']}, "
            f"{verified['mail_received']:,} received by the sink: {'OK' if verified['ok'] else 'FAILED'}"
        )
        for label, stats in (*shared.stats.items(), ("minimal", minimal_stats)):
            for sample in stats.error_samples:
                print(f"  {label} error: {sample}")
        for sample in warmup_samples:
            print(f"  error before the clock: {sample}")
        print(f"errors before the clock (sign-in, priming, warm-up): {warmup_errors}")
        print(f"ratio (mean latency service / minimal): {ratio:.2f}")
        print(f"load average (1 min): start {load[0]:.2f}, before the mix {load[1]:.2f}, end {load[2]:.2f}")
        errors = app_errors + minimal["errors"] + warmup_errors
        ok = bool(verified["ok"]) and errors == 0
        figures = {
            label.replace(" ", "_").lower(): {
                "rps": round(s["rps"], 1),
                "p50_ms": round(s["p50_ms"], 1),
                "p99_ms": round(s["p99_ms"], 1),
                "errors": s["errors"],
            }
            for label, s in rows
        }
        print(
            json.dumps(
                {
                    "bench": "load",
                    "ok": ok,
                    "rps": round(overall["rps"], 1),
                    "p50_ms": round(overall["p50_ms"], 1),
                    "p99_ms": round(overall["p99_ms"], 1),
                    "errors": errors,
                    "warmup_errors": warmup_errors,
                    "lost": verified["cases_missing"] + verified["confirmed_missing"],
                    "minimal_rps": round(minimal["rps"], 1),
                    "minimal_p50_ms": round(minimal["p50_ms"], 1),
                    "minimal_p99_ms": round(minimal["p99_ms"], 1),
                    "ratio": round(ratio, 2),
                    "kinds": figures,
                    "operations": shared.ops,
                    "check": verified,
                    "server_cpu_s": round(server_cpu, 1),
                    "rq_cpu_s": round(worker_cpu, 1),
                    "server_cpu_ms_a_request": round(server_ms, 1),
                    "rq_cpu_ms_a_job": round(job_ms, 1),
                    "clients": args.clients,
                    "workers": args.workers,
                    "worker_class": args.worker_class,
                    "threads": args.threads if args.worker_class == "gthread" else 1,
                    "duration_s": args.duration,
                    "load": [round(value, 2) for value in load],
                },
                ensure_ascii=False,
            )
        )
        return 0 if ok else 1
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    finally:
        for each in processes:
            each.stop()
        if controller is not None:
            controller.stop()
        if created:
            admin_execute(args.admin_url, f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.flushdb()
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"logs kept in {workdir}")


if __name__ == "__main__":
    sys.exit(main())
