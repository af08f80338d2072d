"""Small helpers the sources share to turn rows into JSON-ready items."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def academic_year_of(day: date) -> str:
    """English/Welsh school years run September to August: "2024/2025"."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{start + 1}"


def plain(value: Any) -> Any:
    """A column value as JSON: dates as ISO strings, UUIDs and enums as text."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def columns_of(row: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: plain(getattr(row, name)) for name in names}


def sorted_ids(ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """A deterministic bind list, so the same match renders the same SQL."""
    return sorted(set(ids), key=str)
