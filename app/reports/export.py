"""The request register as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from app.exports.package import neutralise
from app.reports.services import RegisterRow

COLUMNS = (
    ("reference", "Reference"),
    ("organisation_name", "Organisation"),
    ("request_type", "Request type"),
    ("status", "Status"),
    ("received_on", "Received"),
    ("start_on", "Clock started"),
    ("due_on", "Due"),
    ("extended_on", "Extended on"),
    ("paused_days", "Days paused"),
    ("answered_on", "Answered"),
    ("on_time", "On time"),
    ("outcome", "Outcome"),
    ("sources_searched", "Sources searched"),
)

def safe_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return neutralise(value.isoformat() if hasattr(value, "isoformat") else str(value))


def register_csv(rows: Iterable[RegisterRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([title for _, title in COLUMNS])
    for row in rows:
        writer.writerow([safe_cell(getattr(row, name)) for name, _ in COLUMNS])
    return buffer.getvalue()
