"""What the console's item page shows of a collected item under review.

The item's text fields split into segments (suggested names highlighted,
redacted parts marked), the parts a reviewer may tick, and the starting
values of the decision form, including the words of a redaction made
before a re-gather changed the item. Pure functions of a ``ReviewItem``:
the views in app.console.review fetch it (audited) and render these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from app.review import listing
from app.review.listing import ReviewItem
from app.review.models import Action
from app.review.redaction import leaves, text_at


@dataclass(frozen=True)
class Segment:
    """A run of a text field, marked when suggested or chosen for redaction."""

    text: str
    suggested: bool
    redacted: bool


@dataclass(frozen=True)
class Part:
    """A checkbox on the item page: one span the reviewer may redact."""

    value: str  # field:start:end
    field: str
    text: str
    why: str
    checked: bool


def segments(text: str, suggested: list[tuple[int, int]], redacted: list[tuple[int, int]]) -> list[Segment]:
    cuts = sorted({0, len(text), *(p for span in suggested + redacted for p in span if 0 <= p <= len(text))})
    return [
        Segment(
            text[start:end],
            any(s <= start and end <= e for s, e in suggested),
            any(s <= start and end <= e for s, e in redacted),
        )
        for start, end in pairwise(cuts)
        if start < end
    ]


def span_value(span: Mapping[str, Any]) -> str:
    return f"{span['field']}:{span['start']}:{span['end']}"


def parts(entry: ReviewItem, chosen: set[str] | None) -> list[Part]:
    """Suggested names and parts already redacted (of a current decision),
    as checkboxes; ``chosen`` are the values ticked in a refused form."""
    decision = entry.decision
    kept = decision.redactions if decision and entry.state == listing.DECIDED else []
    offered: dict[str, Part] = {}
    for span, why, ticked in [
        *((s, "already redacted", True) for s in kept),
        *((s.as_span(), f"suggested: a {s.name_kind}'s name", False) for s in entry.suggestions),
    ]:
        value = span_value(span)
        text = text_at(entry.data, span["field"])
        if value in offered or not isinstance(text, str):
            continue
        checked = value in chosen if chosen is not None else ticked
        offered[value] = Part(value, span["field"], text[span["start"] : span["end"]], why, checked)
    return list(offered.values())


def shown_fields(entry: ReviewItem) -> list[tuple[str, Any, list[Segment] | None]]:
    decision = entry.decision
    redacted = decision.redactions if decision and entry.state == listing.DECIDED else []
    shown = []
    for name, value in leaves(entry.data):
        if isinstance(value, str):
            marks = [(s.start, s.end) for s in entry.suggestions if s.field == name]
            cut = [(s["start"], s["end"]) for s in redacted if s["field"] == name]
            shown.append((name, value, segments(value, marks, cut) if marks or cut else None))
        else:
            shown.append((name, value, None))
    return shown


def earlier_words(entry: ReviewItem) -> list[str]:
    """The words now at the places a redaction covered before a re-gather
    changed the item, once each, in order. A decision stores offsets only:
    while it is current they are the ticked parts (``parts``); once stale
    they may have moved, so they are offered as words to find again, for
    the reviewer to check, rather than as ticked offsets."""
    decision = entry.decision
    if decision is None or entry.state != listing.STALE or decision.action is not Action.REDACT:
        return []
    words: dict[str, None] = {}
    for span in decision.redactions:
        text = text_at(entry.data, span.get("field"))
        start, end = span.get("start"), span.get("end")
        if not isinstance(text, str) or not isinstance(start, int) or not isinstance(end, int):
            continue
        if 0 <= start < end <= len(text):
            for line in text[start:end].splitlines():
                if line.strip():
                    words.setdefault(line.strip(), None)
    return list(words)


def values_of(entry: ReviewItem) -> dict[str, Any]:
    """The current decision, as the form's starting values."""
    decision = entry.decision
    if decision is None:
        return {"action": "", "exemption": "", "note": "", "phrases": ""}
    return {
        "action": decision.action.value,
        "exemption": decision.exemption.value if decision.exemption else "",
        "note": decision.note or "",
        "phrases": "\n".join(earlier_words(entry)),
    }
