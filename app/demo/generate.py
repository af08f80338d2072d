"""Generating the demo data school by school, here or in worker processes.

Each school draws from its own random generator (seeded from the run's seed
and the school's position) and numbers its rows in its own id range, so a
school's rows are the same whichever process makes them and in whatever
order: the data depends only on the seed, the date and the sizes asked for.
On PostgreSQL, worker processes turn schools into COPY text in parallel while
this process streams the text into the one seeding transaction.
"""

from __future__ import annotations

import multiprocessing
import random
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Table

from app.demo.attendance import WeekPools
from app.demo.checks import check_row
from app.demo.consent import generate_consent
from app.demo.context import Context
from app.demo.draw import NAMESPACE_BITS, IdMaker, NameGroup, build_name_groups
from app.demo.helpdesk import generate_access_log, generate_helpdesk
from app.demo.messages import generate_messages
from app.demo.orgs import OrgPlan, plan_organisations
from app.demo.people import generate_staff
from app.demo.pupils import generate_pupils
from app.demo.setup import generate_setup_imports
from app.demo.writer import CopyLoader, RowCollector, SqliteLoader, copy_text

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Shared:
    """Everything a school's generation reads; built once, inherited by workers."""

    seed: int
    as_of: date
    millis: int
    check_every: int
    names: dict[str, NameGroup]
    pools: WeekPools
    plan: OrgPlan
    tables: dict[str, Table]
    columns: dict[str, tuple[str, ...]]


def build_shared(
    *, seed: int, as_of: date, schools: int, pupils: int, tables: dict[str, Table],
    columns: dict[str, tuple[str, ...]],
) -> Shared:
    rng = random.Random(f"{seed}:organisations")
    millis = int(datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC).timestamp() * 1000)
    names = build_name_groups(seed)
    plan = plan_organisations(rng, ids=IdMaker(rng, millis), names=names["british"], schools=schools,
                              pupils=pupils, as_of=as_of)
    if len(plan.schools) + 1 >= 1 << (40 - NAMESPACE_BITS):
        raise ValueError("schools: too many schools for the id ranges")
    return Shared(
        seed=seed, as_of=as_of, millis=millis, check_every=1 if pupils <= 5000 else 97, names=names,
        pools=WeekPools(random.Random(f"{seed}:attendance")), plan=plan, tables=tables, columns=columns,
    )


def organisation_rows(shared: Shared) -> RowCollector:
    collector = RowCollector()
    for row in shared.plan.rows:
        collector.add("organisations", row)
    return collector


def school_rows(shared: Shared, index: int) -> RowCollector:
    rng = random.Random(f"{shared.seed}:school:{index}")
    collector = RowCollector()
    ctx = Context(
        rng=rng, ids=IdMaker(rng, shared.millis, namespace=index + 1), names=shared.names,
        pools=shared.pools, sink=collector, as_of=shared.as_of, check_every=shared.check_every,
        check=check_row, school_index=index,
    )
    school = shared.plan.schools[index]
    staff = generate_staff(ctx, school)
    pupils = generate_pupils(ctx, school, staff)
    generate_messages(ctx, school, staff, pupils)
    generate_helpdesk(ctx, school, staff, pupils)
    generate_access_log(ctx, school, staff, pupils)
    # Last, so the consent draws leave every other generated row as it was.
    generate_consent(ctx, school, pupils)
    generate_setup_imports(ctx, school, pupils)
    return collector


def load_sqlite(shared: Shared, loader: SqliteLoader, progress: Progress) -> Counter[str]:
    counts: Counter[str] = Counter()
    for index in range(-1, len(shared.plan.schools)):
        collector = organisation_rows(shared) if index < 0 else school_rows(shared, index)
        counts.update(collector.counts)
        loader.add(collector)
        if index >= 0:
            progress(shared.plan.schools[index].pupil_count)
    loader.flush()
    return counts


# Set just before worker processes are forked, so they inherit it unpickled.
_SHARED: Shared | None = None


def _school_text(index: int) -> tuple[Counter[str], dict[str, bytes]]:
    assert _SHARED is not None
    collector = school_rows(_SHARED, index)
    return collector.counts, copy_text(collector, _SHARED.tables, _SHARED.columns)


def load_postgres(shared: Shared, loader: CopyLoader, workers: int, progress: Progress) -> Counter[str]:
    global _SHARED
    orgs = organisation_rows(shared)
    counts = Counter(orgs.counts)
    loader.add(copy_text(orgs, shared.tables, shared.columns))
    schools = shared.plan.schools
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for index, school in enumerate(schools):
            collector = school_rows(shared, index)
            counts.update(collector.counts)
            loader.add(copy_text(collector, shared.tables, shared.columns))
            progress(school.pupil_count)
    else:
        _SHARED = shared
        try:
            # Forked workers never touch the database connection they inherit;
            # they hand back bytes and this process alone talks to PostgreSQL.
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                pending: deque = deque()
                for index in range(len(schools)):
                    pending.append((index, pool.apply_async(_school_text, (index,))))
                    # A few schools in flight keep every core busy without
                    # letting finished schools pile up in memory.
                    while len(pending) > 2 * workers or (pending and index == len(schools) - 1):
                        done, result = pending.popleft()
                        school_counts, parts = result.get()
                        counts.update(school_counts)
                        loader.add(parts)
                        progress(schools[done].pupil_count)
        finally:
            _SHARED = None
    loader.flush()
    return counts
