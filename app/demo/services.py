"""Seeding the stores with demo data, and the demo staff login.

Everything happens in one transaction: the data, the login and the audit
event are stored together or not at all.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.services import DEMO_ADMIN_EMAIL
from app.audit.services import record
from app.demo.assessments import ASSESSMENT_COLUMNS
from app.demo.bases import nursery_bases
from app.demo.consent import CONSENT_COLUMNS
from app.demo.generate import build_shared, load_postgres, load_sqlite
from app.demo.helpdesk import ACCESS_COLUMNS, ENTRY_COLUMNS, GRANT_COLUMNS, SUMMARY_COLUMNS, TICKET_COLUMNS
from app.demo.login import DemoLogin, refresh_demo_login, save_login
from app.demo.messages import MESSAGE_COLUMNS, MESSAGE_PERSON_COLUMNS, RECIPIENT_COLUMNS
from app.demo.orgs import ORGANISATION_COLUMNS
from app.demo.people import CONTACT_COLUMNS, EMPLOYEE_COLUMNS
from app.demo.pupils import ENROLMENT_COLUMNS, PUPIL_COLUMNS, PUPIL_CONTACT_COLUMNS, SEND_COLUMNS
from app.demo.setup import SETUP_COLUMNS
from app.demo.writer import (
    LOAD_ORDER,
    CopyLoader,
    SqliteLoader,
    restore_foreign_keys,
    restore_indexes,
    suspend_foreign_keys,
    suspend_indexes,
    table_map,
)
from app.extensions import db
from app.orgs.models import Organisation

DEMO_EMAIL = DEMO_ADMIN_EMAIL
# Schools are kept near a real average size (and UPN serials allow only
# 1,000 admissions a year per school): more pupils bring more schools.
MAX_AVERAGE_PUPILS = 400

COLUMNS: dict[str, tuple[str, ...]] = {
    "organisations": ORGANISATION_COLUMNS, "employees": EMPLOYEE_COLUMNS, "contacts": CONTACT_COLUMNS,
    "pupils": PUPIL_COLUMNS, "enrolments": ENROLMENT_COLUMNS, "pupil_contacts": PUPIL_CONTACT_COLUMNS,
    "assessments": ASSESSMENT_COLUMNS,
    "send_records": SEND_COLUMNS, "messages": MESSAGE_COLUMNS, "message_recipients": RECIPIENT_COLUMNS,
    "message_people": MESSAGE_PERSON_COLUMNS, "tickets": TICKET_COLUMNS, "ticket_entries": ENTRY_COLUMNS,
    "ticket_summary_emails": SUMMARY_COLUMNS, "support_access_grants": GRANT_COLUMNS,
    "access_log": ACCESS_COLUMNS, "consent_records": CONSENT_COLUMNS, "setup_imports": SETUP_COLUMNS,
}


class SeedRefused(Exception):
    """The seed would harm real data or was asked for in production."""


@dataclass(frozen=True)
class SeedOptions:
    pupils: int = 600
    schools: int = 4
    seed: int = 1
    as_of: date | None = None
    reset: bool = False
    force: bool = False
    # PostgreSQL: processes generating in parallel (None: decide from the size).
    workers: int | None = None
    # PostgreSQL: build plain indexes after the load rather than row by row.
    rebuild_indexes: bool = True


@dataclass
class SeedResult:
    counts: dict[str, int]
    schools: int
    login: DemoLogin | None = None
    login_file: Path | None = None
    also_emptied: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    copy_seconds: dict[str, float] = field(default_factory=dict)


def seed_demo(
    options: SeedOptions,
    progress: Callable[[int], None] = lambda _n: None,
    stage: Callable[[str], None] = lambda _s: None,
) -> SeedResult:
    """Fill the stores; ``progress`` is told how many pupils each school added."""
    settings = current_app.extensions["rightsdesk.settings"]
    if settings.is_production and not options.force:
        raise SeedRefused("this is a production environment (RIGHTSDESK_ENV=production); "
                          "demo data is refused here unless --force is given")
    session = db.session
    phases: dict[str, float] = {}
    started = time.perf_counter()
    try:
        existing = session.scalar(select(func.count()).select_from(Organisation))
        emptied: list[str] = []
        if existing and not options.reset:
            raise SeedRefused(f"the database already holds {existing} organisations; "
                              "use --reset to empty the stores first")
        if existing:
            emptied = reset_stores(session)
        phases["reset"] = _lap(started)
        result = _generate(session, options, progress, stage, phases)
        result.also_emptied = emptied
        stage("nurseries' lawful bases")
        result.counts["organisation_bases"] = nursery_bases(session)
        stage("demo login")
        result.login = refresh_demo_login()
        record("demo.seeded", data={
            "counts": result.counts, "schools": result.schools, "seed": options.seed,
            "as_of": (options.as_of or _today()).isoformat(), "reset": bool(existing),
        })
        stage("commit")
        mark = time.perf_counter()
        session.commit()
        phases["commit"] = time.perf_counter() - mark
    except BaseException:
        session.rollback()
        raise
    result.login_file = save_login(result.login)
    phases["total"] = time.perf_counter() - started
    result.phases = phases
    return result


def stores_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Organisation))


def _lap(since: float) -> float:
    return time.perf_counter() - since


def _today() -> date:
    return datetime.now(UTC).date()


def _generate(
    session: Session, options: SeedOptions, progress: Callable[[int], None], stage: Callable[[str], None],
    phases: dict[str, float],
) -> SeedResult:
    as_of = options.as_of or _today()
    schools = max(options.schools, math.ceil(options.pupils / MAX_AVERAGE_PUPILS))
    postgres = session.get_bind().dialect.name == "postgresql"
    tables = table_map(db.metadata)
    mark = time.perf_counter()
    stage("planning")
    shared = build_shared(seed=options.seed, as_of=as_of, schools=schools, pupils=options.pupils,
                          tables=tables, columns=COLUMNS)
    phases["planning"] = _lap(mark)

    connection = session.connection()
    suspended, dropped = [], []
    mark = time.perf_counter()
    stage("generating")
    if postgres:
        # Settings local to the seeding transaction.
        session.execute(text("SET LOCAL work_mem = '256MB'"))
        session.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        suspended = suspend_foreign_keys(session, LOAD_ORDER)
        if options.rebuild_indexes:
            dropped = suspend_indexes(session, LOAD_ORDER)
        workers = options.workers if options.workers is not None else _default_workers(options.pupils)
        loader = CopyLoader(connection.connection.dbapi_connection, COLUMNS)
        counts = load_postgres(shared, loader, workers, progress)
    else:
        loader = SqliteLoader(connection, tables, COLUMNS)
        counts = load_sqlite(shared, loader, progress)
    phases["generate_and_load"] = _lap(mark)
    mark = time.perf_counter()
    restore_indexes(session, dropped, lambda name: stage(f"building {name}"))
    phases["indexes"] = _lap(mark)
    mark = time.perf_counter()
    restore_foreign_keys(session, suspended, lambda name: stage(f"checking {name}"))
    phases["foreign_keys"] = _lap(mark)
    return SeedResult(
        counts={name: counts.get(name, 0) for name in LOAD_ORDER},
        schools=len(shared.plan.schools), copy_seconds=dict(loader.copy_seconds),
    )


def _default_workers(pupils: int) -> int:
    """Worker processes pay off once there is real work to share."""
    return 0 if pupils < 20_000 else max(2, os.cpu_count() or 1)


def reset_stores(session: Session) -> list[str]:
    """Empty the demo stores, and any table that refers to them, keeping staff
    accounts that belong to no organisation. The audit trail is never touched.
    Returns the names of the other tables that were emptied."""
    store = set(LOAD_ORDER)
    dependents: set[str] = set()
    grown = True
    while grown:
        grown = False
        for table in db.metadata.sorted_tables:
            if table.name in store | dependents | {"users", "audit_events"}:
                continue
            if any(fk.column.table.name in store | dependents for fk in table.foreign_keys):
                dependents.add(table.name)
                grown = True
    doomed = [t for t in reversed(db.metadata.sorted_tables)
              if t.name in (store | dependents) - {"organisations"}]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in doomed) + " CASCADE"))
    else:
        for table in doomed:
            session.execute(table.delete())
    session.execute(User.__table__.delete().where(User.organisation_id.is_not(None)))
    session.execute(Organisation.__table__.update().values(trust_id=None))
    session.execute(Organisation.__table__.delete())
    return sorted(dependents)
