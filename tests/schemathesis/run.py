"""CI gate: schemathesis against the OpenAPI document of a running Rights Desk.

    .venv/bin/python -m tests.schemathesis.run [--postgres-admin-url URL | --database-url URL]
                                               [--max-examples N] [-- extra schemathesis args]

Creates a fresh database (a SQLite file in a temporary folder; with
``--postgres-admin-url`` a throwaway PostgreSQL database, dropped at the
end; with ``--database-url`` one that exists and is empty), migrates it,
seeds a trust with a school, a standalone school, a user of every role and
an API token each, starts gunicorn on a free loopback port, runs
``schemathesis run`` with the administrator's bearer token, stops the server
and exits with schemathesis's status (non-zero on any failure). On failure
the tail of the server's log is printed (tracebacks of any 500).

Every generated request goes to 127.0.0.1 only. The seed is fixed so a run
can be repeated; set SCHEMATHESIS_SEED to explore differently,
SCHEMATHESIS_MAX_EXAMPLES to change the default number of examples, and
SCHEMATHESIS_SERVER_LOG to a path to keep the server's log.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEFAULT_SEED = "20261123"

# Every check schemathesis has, in two passes. Schemathesis reuses ids it
# has seen in responses (good: GET /organisations/{id} then meets real
# organisations), so a pass that saw GET /tokens would feed the run's own
# token id to DELETE /tokens/{id}, revoke it, and from then on every answer
# would be a (conforming) 401 proving nothing. So token revocation runs in a
# pass of its own, where no id can be learnt. The stateful phase is left out
# for the same reason. ``token_still_works`` guards against any other route
# to the same vacuous result.
CHECKS = "all"
PHASES = "examples,coverage,fuzzing"
REVOKING_OPERATIONS = ("delete_token",)
# A body can be valid by the schema and still be refused on a rule no JSON
# Schema can state. POST /requests must name a school that exists (and is
# not a trust); generated UUIDs never do. The case actions run against real
# seeded cases whose state the run itself changes: a second extension, an
# "asked on" date before the case arrived, gathering before any match is
# confirmed, refusing for identity not proven before the requester was
# asked for proof are refused with 422 field messages (409 for a move the
# lifecycle forbids). For those operations alone 422 is an accepted answer
# to schema-valid data; every other check still runs.
STATE_DEPENDENT_OPERATIONS = (
    "create_request",
    "decide_identity_view",
    "pause_view",
    "resume_view",
    "extend_view",
    "refuse_view",
    # Refusing and withdrawing are refused (409) once an erasure is executing.
    "withdraw_view",
    "assign_view",
    "start_gather_view",
    "reopen_search_view",
    "decide_candidate_view",
    # Review: a withhold needs an exemption, a redaction spans that fit the
    # item, a bulk action items to act on; approval needs every item decided.
    "decide_view",
    "accept_suggestions_view",
    "bulk_decide_view",
    "approve_view",
    # Packs: built once approved, one build at a time; sent while ready.
    "build_pack_view",
    "send_pack_view",
    # Erasure: a plan is built for an erasure case in review (409 for any
    # other, or under a legal hold), approved once, executed once approved;
    # a category kept out must be one the plan holds.
    "erasure_build_view",
    "erasure_scope_view",
    "erasure_approve_view",
    "erasure_execute_view",
    # Rectification: a value must pass its field's own rule (a UPN's check
    # letter, a real date); decisions, approval and applying follow the case.
    "rectification_propose_view",
    "rectification_decide_view",
    "rectification_approve_view",
    "rectification_apply_view",
    # Restriction needs confirmed records and nothing restricted yet; lifting,
    # something restricted and no lift scheduled; cancelling, a scheduled
    # lift; objections and grants name existing objects, objections are taken
    # only on an objection request still to be answered (409 otherwise, and
    # for one decided already), and only a school's own user grants support
    # access.
    "restrict",
    "lift_restriction",
    "cancel_restriction_lift",
    "create_objection",
    "decide_objection",
    # Answering needs a restriction or objection case whose work is done;
    # answering that nothing is held, a search that found nothing.
    "answer_view",
    "nothing_held_view",
    # Withdrawing consents needs a consent-withdrawal case with its subject
    # confirmed, not answered yet, and a consent the subject has given.
    "withdraw_consents",
    "create_support_grant",
    # Inviting staff: an address an active account uses, or a school user
    # naming an organisation that does not exist, is refused with 422.
    "invite_user_view",
    "revoke_support_grant",
    "record_support_grant_use",
    # An organisation's basis: wording that cites another point of Art 6(1)
    # than the basis chosen (words seen in earlier answers) is refused.
    "put_organisation_basis",
    # An organisation becomes a public authority only where legitimate
    # interests are in effect nowhere there (422 otherwise), and goes back
    # to its trust's or the register's basis only where that would not put
    # them in effect at one (409).
    "update_organisation",
    "delete_organisation_basis",
    # The register's own entries: a new basis alone is checked against the
    # stored wording, which may cite another point of Art 6(1).
    "update_register_entry",
)
_ACCEPTED = '["2xx", "401", "403", "404", "409", "422", "429", "5xx"]'
CONFIG = "\n".join(
    f'[[operations]]\ninclude-operation-id = "{name}"\n'
    f"checks.positive_data_acceptance.expected-statuses = {_ACCEPTED}\n"
    for name in STATE_DEPENDENT_OPERATIONS
)
PASSES: tuple[tuple[str, list[str]], ...] = (
    ("every operation but token revocation", [f"--exclude-operation-id={o}" for o in REVOKING_OPERATIONS]),
    ("token revocation, with no ids to learn", [f"--include-operation-id={o}" for o in REVOKING_OPERATIONS]),
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(database_url: str, instance: Path) -> dict[str, str]:
    from tests.conftest import environ_for_tests

    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "FLASK_APP")
    }
    environ.update(environ_for_tests(database_url, instance))
    environ["PYTHONPATH"] = str(ROOT)
    return environ


@dataclass
class Seeded:
    token: str
    # Real ids for path parameters, so generated calls reach the case
    # operations' logic instead of stopping at 404.
    known_ids: dict[str, list[str]]


def prepare_database(database_url: str, instance: Path) -> Seeded:
    """Migrate and seed: the estate, and cases in several states (awaiting
    identity, asked for proof, with evidence or none yet; open, paused) in
    both organisations."""
    import io
    from datetime import date, timedelta

    from sqlalchemy import update

    from app import create_app
    from app.cases import clock_changes
    from app.cases.evidence import add_evidence, request_identity
    from app.cases.models import CaseEvent
    from app.cases.services import IDENTITY_REQUESTED
    from app.db import utcnow
    from app.extensions import db
    from app.register.services import entries as register_entries
    from tests.conftest import environ_for_tests, migrate_to_head
    from tests.evidence_files import pdf_file
    from tests.unit.api.estate import build_estate
    from tests.unit.cases.factory import new_case, opened_case

    app = create_app(environ_for_tests(database_url, instance))
    migrate_to_head(app)
    with app.app_context():
        estate = build_estate()
        worker = estate.users["caseworker"]
        cases = []
        for number, school in enumerate((estate.alder, estate.birch_primary, estate.alder)):
            email = f"gate{number}@example.net"
            cases.append(new_case(school, requester_email=email, received_on=date(2026, 11, 2)))
            cases.append(
                opened_case(school, worker, requester_email=f"open{email}", received_on=date(2026, 11, 2))
            )
        paused = opened_case(
            estate.alder, worker, requester_email="paused@example.net", received_on=date(2026, 11, 2)
        )
        clock_changes.pause(paused, worker, reason="clarify_scope", question="Which years?")
        cases.append(paused)
        awaiting = [case for case in cases if case.status.value == "awaiting_identity"]
        for case in awaiting:
            request_identity(case, worker)
        # The last sends nothing and was asked five weeks ago (its month to
        # answer is over), so a refusal for identity not proven can go through.
        last = update(CaseEvent).where(CaseEvent.case_id == awaiting[-1].id)
        db.session.execute(
            last.where(CaseEvent.kind == IDENTITY_REQUESTED).values(at=utcnow() - timedelta(weeks=5))
        )
        evidence = [
            add_evidence(case, "identity", io.BytesIO(pdf_file()), filename="id.pdf", declared_type=None)
            for case in awaiting[:-1]
        ]
        db.session.commit()
        review_case, approved_case, pack, link = _review_and_pack(worker)
        cases += [review_case, approved_case]
        seeded = Seeded(
            token=estate.secrets["admin"],
            known_ids={
                "reference": [case.reference for case in cases if case.reference],
                "evidence_id": [str(item.id) for item in evidence],
                "entry_id": [str(entry.id) for entry in register_entries()],
                "pack_id": [str(pack.id)],
                "link_id": [str(link.id)],
            },
        )
        db.session.remove()
        db.engine.dispose()
    return seeded


def _review_and_pack(worker):
    """A case gathered and in review (items to decide), and another approved
    with a ready pack and a link to it, in the sources' test world."""
    from app.exports.links import send_pack
    from app.extensions import db
    from tests.unit.exports.factory import approved_case, gathered_case, stored_pack
    from tests.unit.sources.factories import build_world

    world = build_world(db.session)
    db.session.commit()
    in_review = gathered_case(world, worker)
    approved = approved_case(world, worker, at_oak=True)
    pack = stored_pack(approved, worker)
    link = send_pack(pack, "school", worker).link
    db.session.commit()
    return in_review, approved, pack, link


def config_text(known_ids: dict[str, list[str]]) -> str:
    """The fixed config plus dictionaries of real ids, drawn most of the time
    for those path parameters (the rest stays generated, for the 404s)."""
    lines = [CONFIG]
    for name, values in known_ids.items():
        quoted = ", ".join(f'"{value}"' for value in values)
        lines.append(f"[dictionaries.{name}]\nvalues = [{quoted}]\n")
    lines.append("[parameters]")
    lines += [f'"path.{name}" = {{ dictionary = "{name}", probability = 0.8 }}' for name in known_ids]
    return "\n".join(lines) + "\n"


def create_postgres(admin_url: str) -> tuple[str, str]:
    """A new empty database next to ``admin_url``'s; returns (name, url)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from app.config import normalise_database_url

    admin = make_url(normalise_database_url(admin_url))
    name = f"rd_schemathesis_{os.getpid()}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return name, admin.set(database=name).render_as_string(hide_password=False)


def drop_postgres(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from app.config import normalise_database_url

    engine = create_engine(make_url(normalise_database_url(admin_url)), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited early with status {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback URL we built)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer {url} within {seconds:.0f}s")


def token_still_works(base: str, token: str) -> bool:
    headers = {"Authorization": f"Bearer {token}"}
    request = urllib.request.Request(f"{base}/api/v1/me", headers=headers)  # noqa: S310 (loopback URL we built)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # gunicorn's graceful stop; it ends its own workers
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="an existing, empty database (default: a SQLite file)")
    where.add_argument("--postgres-admin-url", help="make (and drop) a throwaway PostgreSQL database here")
    parser.add_argument(
        "--max-examples", type=int, default=int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", 250))
    )
    parser.add_argument("extra", nargs="*", help="further arguments for `schemathesis run` (after --)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    throwaway: str | None = None
    if args.postgres_admin_url:
        throwaway, args.database_url = create_postgres(args.postgres_admin_url)
    try:
        return run_gate(args)
    finally:
        if throwaway:
            drop_postgres(args.postgres_admin_url, throwaway)


def run_gate(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="rd-schemathesis-") as folder:
        work = Path(folder)
        instance = work / "instance"
        database_url = args.database_url or f"sqlite:///{work / 'gate.sqlite'}"
        started = time.monotonic()
        seeded = prepare_database(database_url, instance)
        token = seeded.token
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log_path = work / "server.log"
        config = work / "schemathesis.toml"
        config.write_text(config_text(seeded.known_ids))
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "60",
                    "--access-logfile",
                    "-",
                    # gunicorn answers over-long URLs itself (414, in HTML) before the
                    # application sees them; the gate tests the application, and URL
                    # limits are the front proxy's business.
                    "--limit-request-line",
                    "0",
                    "tests.schemathesis.gate_app:app",
                ],
                cwd=ROOT,
                env=server_environment(database_url, instance),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until_up(f"{base}/api/v1/openapi.json", server)
                common = [
                    str(BIN / "schemathesis"),
                    "--config-file",
                    str(config),
                    "run",
                    f"{base}/api/v1/openapi.json",
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--checks",
                    CHECKS,
                    "--phases",
                    PHASES,
                    "--max-examples",
                    str(args.max_examples),
                    "--seed",
                    os.environ.get("SCHEMATHESIS_SEED", DEFAULT_SEED),
                    # One worker: CPython 3.11's ast.parse is not thread-safe, and
                    # hypothesis parses lambdas while describing strategies.
                    "--workers",
                    "1",
                    "--request-timeout",
                    "30",
                    "--generation-database",
                    "none",
                    "--no-color",
                    *args.extra,
                ]
                status = 0
                for title, selection in PASSES:
                    print(
                        f"\n=== schemathesis: {title} ({args.max_examples} examples per operation)",
                        flush=True,
                    )
                    status = subprocess.call([*common, *selection], cwd=work) or status
                    if not token_still_works(base, token):
                        print(
                            "The run's API token stopped working during the run: its results prove nothing."
                        )
                        status = status or 1
            finally:
                stop(server)
        if os.environ.get("SCHEMATHESIS_SERVER_LOG"):  # keep the server's log for a closer look
            shutil.copyfile(log_path, os.environ["SCHEMATHESIS_SERVER_LOG"])
        if status != 0:
            lines = log_path.read_text(errors="replace").splitlines()
            errors = [line for line in lines if '" 5' in line or "Traceback" in line or "Error" in line]
            print("\n--- server log: errors, then the last 60 lines ---")
            print("\n".join([*errors[-60:], "...", *lines[-60:]]))
        print(
            f"schemathesis gate: {'passed' if status == 0 else 'FAILED'} in {time.monotonic() - started:.0f}s"
        )
        return status


if __name__ == "__main__":
    sys.exit(main())
