"""A whole gather (every source, jobs inline) runs the same number of SQL
statements for a pupil with one year of records (Amelia at Oak) as for one
with four (Amelia at Elm): the count is bounded by the number of sources,
never by the number of rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, func, select

from app.accounts.models import Role
from app.cases.models import CaseStatus
from app.collect import services
from app.collect.models import CollectedItem
from app.extensions import db
from app.sources import registry
from tests.unit.api.estate import make_user
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.sources.factories import build_world


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every statement sent to the database inside the block (an
    executemany counts once: it is one round of the protocol's batching)."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _gather(world, actor, *, at_oak: bool) -> tuple[int, int]:
    """Statements run and items stored by one whole gather of Amelia's data."""
    case = confirmed_amelia(world, actor, at_oak=at_oak)
    with statements() as seen:
        services.start_gather(case, actor)
        db.session.commit()  # every source's job runs inline here
    db.session.expire_all()
    assert case.status is CaseStatus.IN_REVIEW
    items = db.session.scalar(
        select(func.count()).select_from(CollectedItem).where(CollectedItem.case_id == case.id)
    )
    return len(seen), items


def test_gather_statement_count_does_not_grow_with_rows(app, db_session):
    app.config["REDIS_URL"] = None
    actor = make_user("cas.worker@rightsdesk.example", Role.CASEWORKER)
    world = build_world(db_session, years=4)  # Elm's Amelia: four years; Oak's: one

    few_statements, few_items = _gather(world, actor, at_oak=True)
    many_statements, many_items = _gather(world, actor, at_oak=False)

    assert many_items > few_items * 2  # four years of records against one
    assert many_statements == few_statements
    # Bounded by the sources: a fixed handful of statements per source job.
    assert few_statements <= 40 * len(registry.all_sources())
