"""Applying redaction spans to an item's data: pure functions, no database.

A span names a text field of the item's data by its path and a half-open
range of characters in it. A path is the keys and list positions down to the
text, joined by dots: ``body`` at the top, ``entries.2.body`` for the third
entry of a chat transcript. Redacted characters are replaced by one marker
per span, so the length of what was removed is not revealed either.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

MARKER = "[redacted]"


class RedactionError(ValueError):
    """A span that does not fit the item (unknown field, out of range, not text)."""


def leaves(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every value that is not a dict or list, with its path, in order."""
    if isinstance(data, Mapping):
        for key in sorted(data):
            yield from leaves(data[key], f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        for position, value in enumerate(data):
            yield from leaves(value, f"{prefix}.{position}" if prefix else str(position))
    else:
        yield prefix, data


def text_fields(data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, text) of every string in the data, however deep."""
    return ((path, value) for path, value in leaves(data) if isinstance(value, str))


def _parent(data: Any, path: str) -> tuple[Any, str | int] | None:
    *steps, last = path.split(".")
    node = data
    for step in steps:
        node = _child(node, step)
        if node is None:
            return None
    if isinstance(node, list):
        return (node, int(last)) if last.isdigit() and int(last) < len(node) else None
    if isinstance(node, Mapping) and last in node:
        return node, last
    return None


def _child(node: Any, step: str) -> Any:
    if isinstance(node, Mapping):
        return node.get(step)
    if isinstance(node, list) and step.isdigit() and int(step) < len(node):
        return node[int(step)]
    return None


def text_at(data: Mapping[str, Any], path: str) -> str | None:
    """The text at ``path``, or None if there is no text there."""
    found = _parent(data, path) if isinstance(path, str) and path else None
    if found is None:
        return None
    node, key = found
    value = node[key]
    return value if isinstance(value, str) else None


def normalise_spans(data: Mapping[str, Any], spans: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Checked, sorted and merged spans, ready to store."""
    by_field: dict[str, list[tuple[int, int]]] = {}
    for span in spans:
        field, start, end = span.get("field"), span.get("start"), span.get("end")
        text = text_at(data, field) if isinstance(field, str) else None
        if text is None:
            raise RedactionError(f"{field!r} is not a text field of this item")
        if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
            raise RedactionError("start and end must be whole numbers")
        if not 0 <= start < end <= len(text):
            raise RedactionError(f"span {start}-{end} is outside {field!r} (length {len(text)})")
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


def redact_text(text: str, ranges: Iterable[tuple[int, int]]) -> str:
    pieces: list[str] = []
    cursor = 0
    for start, end in sorted(ranges):
        start = max(start, cursor)
        if start >= end:
            continue
        pieces.append(text[cursor:start])
        pieces.append(MARKER)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def apply_redactions(data: Mapping[str, Any], spans: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A copy of ``data`` with every span's characters replaced by MARKER."""
    result = copy.deepcopy(dict(data))
    by_field: dict[str, list[tuple[int, int]]] = {}
    for span in spans:
        by_field.setdefault(span["field"], []).append((span["start"], span["end"]))
    for field, ranges in by_field.items():
        found = _parent(result, field)
        if found is None or not isinstance(found[0][found[1]], str):
            continue  # the item changed since; the stale check refuses such packs anyway
        node, key = found
        node[key] = redact_text(node[key], ranges)
    return result
