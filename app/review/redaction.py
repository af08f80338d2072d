"""Applying redaction spans to an item's data: pure functions, no database.

A span names a top-level text field of the item's data and a half-open range
of characters in it. Redacted characters are replaced by one marker per span,
so the length of what was removed is not revealed either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MARKER = "[redacted]"


class RedactionError(ValueError):
    """A span that does not fit the item (unknown field, out of range, not text)."""


def normalise_spans(data: Mapping[str, Any], spans: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Checked, sorted and merged spans, ready to store."""
    by_field: dict[str, list[tuple[int, int]]] = {}
    for span in spans:
        field, start, end = span.get("field"), span.get("start"), span.get("end")
        if not isinstance(field, str) or not isinstance(data.get(field), str):
            raise RedactionError(f"{field!r} is not a text field of this item")
        if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
            raise RedactionError("start and end must be whole numbers")
        if not 0 <= start < end <= len(data[field]):
            raise RedactionError(f"span {start}-{end} is outside {field!r} (length {len(data[field])})")
        by_field.setdefault(field, []).append((start, end))
    merged: list[dict[str, Any]] = []
    for field in sorted(by_field):
        current: list[int] | None = None
        for start, end in sorted(by_field[field]):
            if current is not None and start <= current[1]:
                current[1] = max(current[1], end)
                continue
            if current is not None:
                merged.append({"field": field, "start": current[0], "end": current[1]})
            current = [start, end]
        if current is not None:
            merged.append({"field": field, "start": current[0], "end": current[1]})
    return merged


def apply_redactions(data: Mapping[str, Any], spans: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A copy of ``data`` with every span's characters replaced by MARKER."""
    result = dict(data)
    by_field: dict[str, list[tuple[int, int]]] = {}
    for span in spans:
        by_field.setdefault(span["field"], []).append((span["start"], span["end"]))
    for field, ranges in by_field.items():
        text = result.get(field)
        if not isinstance(text, str):
            continue
        pieces: list[str] = []
        cursor = 0
        for start, end in sorted(ranges):
            if start < cursor:
                start = cursor
            if start >= end:
                continue
            pieces.append(text[cursor:start])
            pieces.append(MARKER)
            cursor = end
        pieces.append(text[cursor:])
        result[field] = "".join(pieces)
    return result
