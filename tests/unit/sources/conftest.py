"""Fixtures for the source tests: a small seeded world and a statement counter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.sources.names import normalise_email
from app.sources.protocol import Match
from tests.unit.sources.factories import World, build_world


@pytest.fixture
def world(db_session) -> World:
    return build_world(db_session)


class StatementCount:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def counting_statements(session) -> Iterator[StatementCount]:
    """Every SQL statement the session's engine runs inside the block."""
    engine = session.get_bind()
    counted = StatementCount()

    def before(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        counted.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", before)


def match_of(world_org_ids, *, pupils=(), contacts=(), employees=(), emails=()) -> Match:
    return Match(
        organisation_ids=frozenset(world_org_ids),
        pupil_ids=frozenset(p.id for p in pupils),
        contact_ids=frozenset(c.id for c in contacts),
        employee_ids=frozenset(e.id for e in employees),
        emails=frozenset(normalise_email(e) for e in emails),
    )
