"""A whole gather (every source, jobs inline) runs the same number of SQL
statements for a pupil with one year of records (Amelia at Oak) as for one
with four (Amelia at Elm): the count is bounded by the number of sources,
never by the number of rows. The jobs' own bookkeeping (claiming, the match,
storing the items, closing runs and jobs, moving the case) is bounded
tightly too, and so are the commits: one for the caller, one claiming every
inline job, one per source job."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event, func, select

from app.accounts.models import Role
from app.cases.models import CaseStatus
from app.collect import services
from app.collect.identity import match_from, organisations_of
from app.collect.models import CaseCandidate, CollectedItem
from app.extensions import db
from app.sources import registry
from tests.unit.api.estate import make_user
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.sources.factories import build_world

# Per source job, 7: marking its run running (in the shared claim), the
# match (the case's columns, the organisations it covers and its confirmed
# records, in one statement), the case row locked, the run closed, the items
# deleted and inserted, the job marked succeeded (on PostgreSQL that
# statement also relaxes the commit). Once per gather, 15: starting it (the
# case locked and read, the confirmed records counted, existing runs read,
# jobs and runs inserted, the case moved with its timeline line and audit
# event, the actor reloaded as this test's user has expired), claiming the
# inline jobs, and the last job moving the case to review (never loading
# the timeline only to add a line to it). PostgreSQL adds one per gather:
# the claim's asynchronous commit.
BOOKKEEPING = {"postgresql": (7, 16), "sqlite": (7, 15)}


@dataclass
class Seen:
    statements: list[str] = field(default_factory=list)
    commits: int = 0


@contextmanager
def statements() -> Iterator[Seen]:
    """Every statement sent to the database inside the block (an
    executemany counts once: it is one round of the protocol's batching),
    and every commit."""
    seen = Seen()

    def count(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        seen.statements.append(statement)

    def commit(_conn) -> None:
        seen.commits += 1

    event.listen(db.engine, "before_cursor_execute", count)
    event.listen(db.engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        event.remove(db.engine, "commit", commit)


def _sources_own(case) -> int:
    """The statements the sources' ``collect`` runs for the case's match."""
    candidates = db.session.scalars(select(CaseCandidate).where(CaseCandidate.case_id == case.id)).all()
    match = match_from(case, organisations_of(case), candidates)
    with statements() as seen:
        for source in registry.all_sources():
            list(source.collect(db.session, match))
    db.session.rollback()
    return len(seen.statements)


def _gather(world, actor, *, at_oak: bool) -> tuple[Seen, int, int]:
    """What one whole gather of Amelia's data ran, the statements the
    sources ran of it, and the items stored."""
    case = confirmed_amelia(world, actor, at_oak=at_oak)
    own = _sources_own(case)
    with statements() as seen:
        services.start_gather(case, actor)
        db.session.commit()  # every source's job runs inline here
    db.session.expire_all()
    assert case.status is CaseStatus.IN_REVIEW
    items = db.session.scalar(
        select(func.count()).select_from(CollectedItem).where(CollectedItem.case_id == case.id)
    )
    return seen, own, items


def test_gather_statement_count_does_not_grow_with_rows(app, db_session):
    app.config["REDIS_URL"] = None
    actor = make_user("cas.worker@rightsdesk.example", Role.CASEWORKER)
    world = build_world(db_session, years=4)  # Elm's Amelia: four years; Oak's: one

    few, few_own, few_items = _gather(world, actor, at_oak=True)
    many, many_own, many_items = _gather(world, actor, at_oak=False)

    assert many_items > few_items * 2  # four years of records against one
    assert len(many.statements) == len(few.statements) and many_own == few_own
    sources = len(registry.all_sources())
    per_source, per_gather = BOOKKEEPING[db.engine.dialect.name]
    bookkeeping = len(few.statements) - few_own
    assert bookkeeping <= per_source * sources + per_gather, few.statements
    assert few.commits == many.commits == sources + 2
