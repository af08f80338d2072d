"""Small helpers the sources share to turn rows into JSON-ready items.

The sources' ``collect`` queries are built once, at import, as Core
statements with bound parameters (``ids``): executing a prebuilt statement
skips building it and computing its cache key, and Core rows (tuples) skip
the ORM's identity map and attribute instrumentation, which for a few
hundred rows a subject cost several times the query itself."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import BindParameter, Uuid, bindparam


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def academic_year_of(day: date) -> str:
    """English/Welsh school years run September to August: "2024/2025"."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{start + 1}"


# Column values that are JSON already, by exact type (the common case).
_AS_IS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """A column value as JSON: dates as ISO strings, UUIDs and enums as text."""
    if type(value) in _AS_IS:
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def columns_of(row: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: plain(getattr(row, name)) for name in names}


def values_of(names: Sequence[str], values: Iterable[Any]) -> dict[str, Any]:
    """``columns_of`` for a row's values given in the order of ``names``."""
    return {name: plain(value) for name, value in zip(names, values, strict=False)}


def ids_param(name: str = "ids", *, of: Any = None) -> BindParameter[Any]:
    """An ``IN`` list of ids (or, with ``of=String()``, of text) bound at
    execution, a list of any length, even empty. The type is explicit: a
    foreign-key column's type is only known once its target table is, so a
    statement built at import time could otherwise bind raw UUIDs, which
    SQLite refuses."""
    return bindparam(name, expanding=True, type_=of if of is not None else Uuid(as_uuid=True))


def sorted_ids(ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """A deterministic bind list, so the same match renders the same SQL."""
    return sorted(set(ids), key=str)
