"""Which person records are restricted (Art 18) now: the one question the
stores ask, kept apart from the services so a source can ask it without
importing the case lifecycle."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.restriction.models import Restriction
from app.sources.protocol import PersonKind

RESTRICTIONS = Restriction.__table__


def is_restricted(session: Session, kind: PersonKind | str, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``ids`` (records of one kind) under an active restriction:
    one query for a batch, for a source's ``collect()`` or a console list."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return set()
    query = select(RESTRICTIONS.c.person_id).where(
        RESTRICTIONS.c.person_kind == PersonKind(kind),
        RESTRICTIONS.c.person_id.in_(wanted),
        RESTRICTIONS.c.lifted_at.is_(None),
    )
    return set(session.scalars(query))


def restriction_mark(restricted: bool) -> dict[str, bool]:
    """What a restricted record's collected item carries (nothing otherwise,
    so an unrestricted record's data, and its review digest, are unchanged)."""
    return {"restricted": True} if restricted else {}
