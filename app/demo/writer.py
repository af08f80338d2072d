"""Bulk loading of generated rows: COPY on PostgreSQL, batched executemany on SQLite.

Rows of one school are collected, then handed to a loader that buffers them
per table and writes them in large batches, parents before children, so
memory stays flat however many pupils are generated. On PostgreSQL the rows
are turned into COPY text where they were generated (possibly in a worker
process) and the loader only streams bytes.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Table, Uuid, text
from sqlalchemy.orm import Session

from app.db import EncryptedText
from app.demo.context import RowSink

# Load order: every table after the tables it refers to.
LOAD_ORDER = (
    "organisations", "employees", "contacts", "pupils", "enrolments", "pupil_contacts", "attendance_weeks",
    "assessments", "send_records", "messages", "message_recipients", "message_people", "tickets",
    "ticket_entries", "ticket_summary_emails", "support_access_grants", "access_log",
    "consent_records", "setup_imports",
)
ATTENDANCE_COLUMNS = ("pupil_id", "week_start", "slots")


@dataclass
class RowCollector(RowSink):
    """The rows of one school (or of the organisations), as Python values."""

    rows: dict[str, list[tuple]] = field(default_factory=dict)
    attendance_weeks: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, table: str, row: tuple) -> None:
        self.rows.setdefault(table, []).append(row)
        self.counts[table] += 1

    def attendance(self, pupil_id: str, weeks: list[tuple[str, str]]) -> None:
        self.attendance_weeks.append((pupil_id, weeks))
        self.counts["attendance_weeks"] += len(weeks)


# -- PostgreSQL: COPY text ----------------------------------------------------

_BACKSLASH, _ESCAPED = "\\", "\\\\"


def _copy_str(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


_COPY_FORMAT: dict[type, Callable[[Any], str]] = {
    str: _copy_str,
    type(None): lambda _value: "\\N",
    bool: lambda value: "t" if value else "f",
    int: str,
    date: date.isoformat,
    datetime: datetime.isoformat,  # always timezone-aware here, so the offset is kept
    bytes: lambda value: "\\\\x" + value.hex(),  # bytea hex, its backslash escaped for COPY
}


def copy_text(
    collector: RowCollector, tables: dict[str, Table], columns: dict[str, tuple[str, ...]]
) -> dict[str, bytes]:
    """COPY text per table; sealed columns are sealed on the way."""
    out: dict[str, bytes] = {}
    formats = _COPY_FORMAT
    for name, rows in collector.rows.items():
        sealed = [(i, tables[name].c[col].type) for i, col in enumerate(columns[name])
                  if isinstance(tables[name].c[col].type, EncryptedText)]
        lines = []
        for row in rows:
            if sealed:
                values = list(row)
                for index, column_type in sealed:
                    values[index] = column_type.process_bind_param(values[index], None)
                row = tuple(values)
            lines.append("\t".join([formats[type(value)](value) for value in row]))
        lines.append("")
        out[name] = "\n".join(lines).encode()
    if collector.attendance_weeks:
        # The PM present mark is a backslash, doubled for COPY.
        out["attendance_weeks"] = "".join([
            "".join([f"{pupil_id}\t{iso}\t{slots.replace(_BACKSLASH, _ESCAPED)}\n" for iso, slots in weeks])
            for pupil_id, weeks in collector.attendance_weeks
        ]).encode()
    return out


class CopyLoader:
    """Buffers COPY text per table and streams it to PostgreSQL in large
    COPY commands, in load order."""

    def __init__(self, dbapi_connection: Any, columns: dict[str, tuple[str, ...]],
                 flush_bytes: int = 32 << 20) -> None:
        self._connection = dbapi_connection
        every = {**columns, "attendance_weeks": ATTENDANCE_COLUMNS}
        self._statements = {
            name: f"COPY {name} ({', '.join(cols)}) FROM STDIN" for name, cols in every.items()
        }
        self._buffers: dict[str, list[bytes]] = {}
        self._pending = 0
        self._flush_bytes = flush_bytes
        self.copy_seconds: Counter[str] = Counter()

    def add(self, parts: dict[str, bytes]) -> None:
        for name, data in parts.items():
            self._buffers.setdefault(name, []).append(data)
            self._pending += len(data)
        if self._pending >= self._flush_bytes:
            self.flush()

    def flush(self) -> None:
        with self._connection.cursor() as cursor:
            for name in LOAD_ORDER:
                chunks = self._buffers.pop(name, None)
                if not chunks:
                    continue
                started = time.perf_counter()
                with cursor.copy(self._statements[name]) as copy:
                    for chunk in chunks:
                        copy.write(chunk)
                self.copy_seconds[name] += time.perf_counter() - started
        self._pending = 0


# -- SQLite: executemany ------------------------------------------------------

class SqliteLoader:
    """Inserts through SQLAlchemy Core, which applies the column types (UUIDs,
    UTC datetimes, sealed columns) exactly as the ORM would."""

    def __init__(self, connection: Connection, tables: dict[str, Table],
                 columns: dict[str, tuple[str, ...]], batch_rows: int = 20_000) -> None:
        self._connection = connection
        self._tables = tables
        self._columns = dict(columns)
        self._columns["attendance_weeks"] = ATTENDANCE_COLUMNS
        self._uuid_columns = {
            name: [col for col in cols if isinstance(tables[name].c[col].type, Uuid)]
            for name, cols in self._columns.items()
        }
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self._pending = 0
        self._batch_rows = batch_rows
        self.copy_seconds: Counter[str] = Counter()

    def add(self, collector: RowCollector) -> None:
        for name, rows in collector.rows.items():
            self._buffers.setdefault(name, []).extend(self._params(name, row) for row in rows)
            self._pending += len(rows)
        weeks = self._buffers.setdefault("attendance_weeks", [])
        for pupil_id, pupil_weeks in collector.attendance_weeks:
            key = uuid.UUID(pupil_id)
            weeks.extend({"pupil_id": key, "week_start": date.fromisoformat(iso), "slots": slots}
                         for iso, slots in pupil_weeks)
            self._pending += len(pupil_weeks)
        if self._pending >= self._batch_rows:
            self.flush()

    def _params(self, name: str, row: tuple) -> dict[str, Any]:
        values = dict(zip(self._columns[name], row, strict=True))
        for col in self._uuid_columns[name]:
            if values[col] is not None:
                values[col] = uuid.UUID(values[col])
        return values

    def flush(self) -> None:
        for name in LOAD_ORDER:
            params = self._buffers.pop(name, None)
            if params:
                started = time.perf_counter()
                self._connection.execute(self._tables[name].insert(), params)
                self.copy_seconds[name] += time.perf_counter() - started
        self._pending = 0


@dataclass(frozen=True)
class ForeignKey:
    table: str
    name: str
    definition: str


def suspend_foreign_keys(session: Session, tables: tuple[str, ...]) -> list[ForeignKey]:
    """Drop the loaded tables' foreign keys for the load (PostgreSQL only).

    Checking each of tens of millions of attendance rows against ``pupils`` one by
    one costs several times the COPY itself; re-adding the constraint checks
    all rows in one join. Both happen in the seeding transaction, so a failed
    check rolls back the whole seed.
    """
    found = session.execute(
        text(
            "SELECT cl.relname, con.conname, pg_get_constraintdef(con.oid) FROM pg_constraint con"
            " JOIN pg_class cl ON cl.oid = con.conrelid"
            " JOIN pg_namespace ns ON ns.oid = cl.relnamespace"
            " WHERE con.contype = 'f' AND ns.nspname = current_schema() AND cl.relname = ANY(:tables)"
            " ORDER BY cl.relname, con.conname"
        ),
        {"tables": list(tables)},
    ).all()
    keys = [ForeignKey(*row) for row in found]
    for key in keys:
        session.execute(text(f'ALTER TABLE "{key.table}" DROP CONSTRAINT "{key.name}"'))
    return keys


def restore_foreign_keys(session: Session, keys: list[ForeignKey], progress: Callable[[str], None]) -> None:
    for key in keys:
        progress(key.name)
        session.execute(text(f'ALTER TABLE "{key.table}" ADD CONSTRAINT "{key.name}" {key.definition}'))


@dataclass(frozen=True)
class Index:
    name: str
    definition: str


def suspend_indexes(session: Session, tables: tuple[str, ...]) -> list[Index]:
    """Drop the loaded tables' plain (non-unique) indexes for the load (PostgreSQL only).

    Inserting rows one at a time into a dozen B-trees keyed on names, emails
    and postcodes scatters writes across indexes far larger than the buffer
    cache; building each index once from sorted data afterwards is much
    cheaper. Primary keys and unique constraints stay, so duplicates are
    still refused during the load.
    """
    found = session.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(ix.indexrelid) FROM pg_index ix"
            " JOIN pg_class i ON i.oid = ix.indexrelid"
            " JOIN pg_class t ON t.oid = ix.indrelid"
            " JOIN pg_namespace ns ON ns.oid = t.relnamespace"
            " WHERE ns.nspname = current_schema() AND t.relname = ANY(:tables)"
            " AND NOT ix.indisunique AND NOT ix.indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)"
            " ORDER BY t.relname, i.relname"
        ),
        {"tables": list(tables)},
    ).all()
    indexes = [Index(*row) for row in found]
    for index in indexes:
        session.execute(text(f'DROP INDEX "{index.name}"'))
    return indexes


def restore_indexes(session: Session, indexes: list[Index], progress: Callable[[str], None]) -> None:
    for index in indexes:
        progress(index.name)
        session.execute(text(index.definition))


def table_map(metadata: MetaData) -> dict[str, Table]:
    return {name: metadata.tables[name] for name in LOAD_ORDER}
