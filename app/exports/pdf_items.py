"""The copy of the data, item by item, shaped for print.

Any item becomes a fields table, a meta line and its text blocks, small
tables or threads (a ticket's entries), whatever its source; attendance,
the one long series, becomes a register grid, a row per week.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.exports.codes import readable_data, readable_title
from app.exports.content import PackItem
from app.exports.pdf_values import ISO_DATE, inert, is_long, label, show

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
SESSIONS_PER_WEEK = 10
NO_MARK = "·"  # a session with no mark, on a day that has one
# Up to this many short entries (a message's recipients) go on one line.
SHORT_LIST = 6
# Tables of at least this many rows have their constant columns hoisted.
HOIST_FROM = 3


@dataclass
class Table:
    caption: str
    columns: list[str]
    labels: list[str]
    rows: list[list[Any]]
    # Columns with one value in every row, said once above the table.
    common: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class Entry:
    """One part of a thread (a message of a ticket): a meta line and its text."""

    meta: list[tuple[str, Any]]
    texts: list[tuple[str, Any]]


@dataclass
class ItemView:
    kind: str  # "attendance" or "record"
    title: str
    occurred_on: date | None
    redacted: bool
    fields: list[tuple[str, Any]] = field(default_factory=list)
    compact: bool = False  # meta line rather than a fields table
    texts: list[tuple[str, Any]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    threads: list[tuple[str, list[Entry]]] = field(default_factory=list)
    grid: dict[str, Any] | None = None


def item_view(item: PackItem) -> ItemView:
    """The item as printed: its data with codes decoded and internal ids left
    out (``app.exports.codes``); the machine-readable copy keeps both."""
    data = readable_data(item.data)
    title = readable_title(item.category, item.title)
    if item.category == "attendance" and isinstance(data.get("weeks"), list):
        return ItemView("attendance", title, item.occurred_on, item.redacted, grid=attendance_grid(data))
    view = ItemView("record", title, item.occurred_on, item.redacted)
    # A message or ticket reads as a heading line and its text; a record
    # with no text (identity, enrolment) as a two-column table.
    view.compact = any(
        is_long(v) or (isinstance(v, list) and any(isinstance(r, Mapping) and _has_long(r) for r in v))
        for v in data.values()
    )
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            if any(_has_long(row) for row in value):
                view.threads.append((label(key), [_entry(row) for row in value]))
            elif view.compact and len(value) <= SHORT_LIST:
                # A message's few recipients fit its heading line; a table
                # each would double the length of a long correspondence.
                view.fields.append((label(key), [_one_line(row) for row in value]))
            else:
                view.tables.append(_table(label(key), value))
        elif isinstance(value, Mapping) and value:
            view.fields.extend((f"{label(key)}: {label(str(k))}", v) for k, v in value.items())
        elif is_long(value):
            view.texts.append((label(key), value))
        else:
            view.fields.append((label(key), value))
    return view


def _has_long(row: Mapping[str, Any]) -> bool:
    return any(is_long(v) for v in row.values())


def _one_line(row: Mapping[str, Any]) -> str:
    return ", ".join(show(v) for v in row.values() if v not in (None, ""))


def _entry(row: Mapping[str, Any]) -> Entry:
    entry = Entry([], [])
    for key, value in row.items():
        (entry.texts if is_long(value) else entry.meta).append((label(str(key)), value))
    return entry


def _table(caption: str, rows: Sequence[Mapping[str, Any]]) -> Table:
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    common: list[tuple[str, Any]] = []
    if len(rows) >= HOIST_FROM:
        # A year of assessments repeats its key stage and method on every
        # row: said once, the table loses a third of its cells (and WeasyPrint
        # lays out a table cell by cell).
        for column in list(columns):
            values = {show(row.get(column)) for row in rows}
            if len(values) == 1 and len(columns) > 2:
                common.append((label(column), rows[0].get(column)))
                columns.remove(column)
    return Table(
        caption, columns, [label(c) for c in columns], [[row.get(c) for c in columns] for row in rows], common
    )


def attendance_grid(data: Mapping[str, Any]) -> dict[str, Any]:
    """A year's register: a row per week, a column per session, a code legend.

    Built from the item's own data (as ``year_summaries`` shaped it), so a
    redaction or a hand-made item is printed as it is, never re-derived.
    """
    weeks = []
    counts: Counter[str] = Counter()
    for week in data.get("weeks") or []:
        sessions = [str(code or "") for code in (week.get("sessions") or [])][:SESSIONS_PER_WEEK]
        sessions += [""] * (SESSIONS_PER_WEEK - len(sessions))
        counts.update(code for code in sessions if code)
        weeks.append({"label": _week_label(week.get("week_start")), "days": _days(sessions)})
    recorded = data.get("code_counts") or dict(counts)
    percent = data.get("attendance_percent")
    totals = [
        ("Sessions recorded", data.get("sessions_recorded", sum(counts.values()))),
        ("Sessions possible", data.get("sessions_possible")),
        ("Sessions attended", data.get("sessions_attended")),
        ("Attendance", f"{percent}%" if percent is not None else None),
    ]
    shown = {"weeks", "code_counts", "code_meanings", "session_order", "academic_year"}
    shown.update({"sessions_recorded", "sessions_possible", "sessions_attended", "attendance_percent"})
    return {
        "year": show(data.get("academic_year")),
        "weeks": weeks,
        # One line of text, not a table: the meanings are in the section's legend.
        "by_code": " · ".join(f"{inert(str(code))} {n}" for code, n in sorted(recorded.items())),
        "totals": totals,
        "extra": [(label(k), v) for k, v in data.items() if k not in shown],
    }


def attendance_legend(items: Iterable[PackItem]) -> list[dict[str, str]]:
    """Every code the section's years use, with its meaning, once."""
    meanings: dict[str, Any] = {}
    for item in items:
        meanings.update(item.data.get("code_meanings") or {})
        for code in item.data.get("code_counts") or {}:
            meanings.setdefault(code, "Not a known code")
    return [
        {"code": inert(str(code)), "meaning": show(meaning)} for code, meaning in sorted(meanings.items())
    ]


def _days(sessions: list[str]) -> list[str]:
    """Each day's two marks in one cell, AM then PM, as on a paper register
    ("/ \\" is a day present). A cell per session would be twice the cells,
    and WeasyPrint's time grows with cells: 10 a week cost 1.6 times as
    much as 5 over seven years of registers."""
    days = []
    for am, pm in zip(sessions[0::2], sessions[1::2], strict=True):
        days.append(f"{inert(am) or NO_MARK}\u2002{inert(pm) or NO_MARK}" if am or pm else "")
    return days


def _week_label(value: Any) -> str:
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return inert(value)
        return f"{day.day} {day:%b %Y}"
    return show(value)
