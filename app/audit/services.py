"""Writing and verifying the hash-chained audit trail.

An event is written in the same transaction as the change it records, so
either both are stored or neither. ``record`` only queues the event on the
session; the queue is chained and inserted, in one statement, as the
transaction commits (``before_commit``), under an advisory lock on PostgreSQL
(taken and the head read by ``audit_chain_head``, migration 0015; SQLite
allows one writer anyway), so the chain never forks. Taking the lock at commit rather
than at the first event keeps it for one INSERT and the COMMIT instead of the
whole request: concurrent requests no longer queue behind each other's
template rendering and mail. A rollback discards the queue with everything else.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Flask
from sqlalchemy import CTE, Insert, Row, Select, bindparam, func, literal, select, text, true
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from app.audit.models import AuditEvent
from app.db import new_uuid, utcnow
from app.extensions import db

GENESIS_HASH = "0" * 64
# Arbitrary constant identifying the audit chain's advisory lock.
_CHAIN_LOCK_KEY = 7_320_114_001
# Session.info key of the events recorded in the open transaction.
_PENDING = "rightsdesk.audit_pending"
# Identifier-like strings only: codes, enum values, ISO dates. Spaces and "@"
# are refused so that names, emails and sentences cannot slip in.
_SAFE_TEXT = re.compile(r"^[A-Za-z0-9_.:/+-]{0,80}$")


class AuditDataError(ValueError):
    """Event data that could carry personal data."""


def record(
    action: str,
    *,
    actor_type: str = "system",
    actor_id: uuid.UUID | None = None,
    object_type: str | None = None,
    object_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Queue one event for the chain; it is written when the current
    transaction commits (its ``seq`` and hashes are set then)."""
    entry = AuditEvent(
        id=new_uuid(),
        occurred_at=utcnow(),
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=clean_data(data or {}, "data"),
    )
    session = db.session()
    if session.get_transaction() is None:
        # The queue belongs to a transaction: begin one, so that a rollback
        # (which only fires for a begun transaction) also drops the queue.
        session.begin()
    session.info.setdefault(_PENDING, []).append(entry)
    return entry


# Statements built once, in plain Core on the table.
_TABLE = AuditEvent.__table__
# PostgreSQL: the lock and the head in one round trip (migration 0015 says
# why a function and not one plain statement).
_LOCKED_HEAD = text("SELECT seq, hash FROM audit_chain_head(:key)")
# Session.info key of the head a statement of the open transaction locked and
# read along with its own work (``locking_head``): (transaction, seq, hash).
_HEAD_HELD = "rightsdesk.audit_head_held"
_HEAD = select(_TABLE.c.seq, _TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1)
_INSERT = _TABLE.insert()
_COLUMNS = tuple(column.key for column in _TABLE.columns)


def _append_pending(session: Session) -> None:
    """Chain the queued events onto the last stored one and insert them, in
    one statement. Runs as ``before_commit``.

    The transaction's own changes are flushed first, outside the lock, so the
    lock covers only reading the chain's head, this INSERT and the COMMIT.
    The rows go in through Core rather than the unit of work: they are
    append-only and nothing else refers to them, so a second ORM flush would
    only cost time. The returned ``AuditEvent`` objects stay transient, with
    ``seq`` and the hashes filled in."""
    if not session.info.get(_PENDING):
        return
    session.flush()
    pending: list[AuditEvent] = session.info.pop(_PENDING, None) or []
    if not pending:
        return
    # On the connection itself: everything is flushed, and the ORM layer of
    # ``Session.execute`` adds nothing to plain Core statements.
    connection = session.connection(bind_arguments={"mapper": AuditEvent})
    postgresql = connection.dialect.name == "postgresql"
    held = session.info.pop(_HEAD_HELD, None)
    if postgresql and held is not None and held[0] is session.get_transaction():
        seq, previous = held[1], held[2]  # locked by this transaction already: no round trip
    else:
        if postgresql:
            last = connection.execute(_LOCKED_HEAD, {"key": _CHAIN_LOCK_KEY}).first()
        else:
            last = connection.execute(_HEAD).first()
        seq, previous = (last.seq, last.hash) if last else (0, GENESIS_HASH)
    rows = []
    for entry in pending:
        seq += 1
        entry.seq = seq
        entry.prev_hash = previous
        entry.hash = previous = event_hash(entry)
        rows.append({name: getattr(entry, name) for name in _COLUMNS})
    if len(rows) == 1:
        connection.execute(_INSERT, rows[0])
    elif postgresql and len(rows) <= _MAX_IN_ONE:
        params = {f"r{number}_{key}": value for number, row in enumerate(rows) for key, value in row.items()}
        connection.execute(_insert_rows(len(rows)), params)
    else:
        connection.execute(_INSERT, rows)


# A request's few events go in as one statement on PostgreSQL (an executemany
# is a pipeline of several); longer queues as an executemany.
_MAX_IN_ONE = 8


@lru_cache(maxsize=_MAX_IN_ONE)
def _insert_rows(count: int) -> Insert:
    """``count`` single-row INSERTs chained as data-modifying WITH clauses:
    one statement, built once per count and cached when compiled (a
    multi-row VALUES is not)."""
    inserts = [
        _TABLE.insert().values(
            {column.key: bindparam(f"r{number}_{column.key}", type_=column.type) for column in _TABLE.columns}
        )
        for number in range(count)
    ]
    *first, statement = inserts
    for number, part in enumerate(first):
        statement = statement.add_cte(part.cte(f"e{number}"))
    return statement


def _discard_pending(session: Session, transaction: SessionTransaction) -> None:
    # Committed queues were taken by _append_pending; anything left when the
    # outermost transaction ends was rolled back. A held head goes with its
    # transaction (the lock is released with it).
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_HEAD_HELD, None)


def has_pending(session: Session) -> bool:
    """Whether events wait to be written when the open transaction commits."""
    return bool(session.info.get(_PENDING))


def locking_head(*ctes: CTE) -> Select:
    """PostgreSQL: a statement running ``ctes`` (data-modifying WITH
    clauses, e.g. a request's INSERTs) that also takes the chain's lock and
    reads its head, in the same round trip; its one row goes to
    ``hold_head``. The commit then chains its events onto that head without
    asking again. The lock is taken a statement earlier than at commit,
    which is where the request's work ends anyway."""
    head = func.audit_chain_head(bindparam("audit_chain_lock_key")).table_valued("seq", "hash").alias("head")
    # Always one row: NULLs when the chain is empty.
    one = select(literal(1).label("one")).subquery("one")
    statement = select(head.c.seq, head.c.hash).select_from(one.outerjoin(head, true()))
    return statement.add_cte(*ctes)


LOCKING_HEAD_PARAMS = {"audit_chain_lock_key": _CHAIN_LOCK_KEY}


def hold_head(session: Session, row: Row[Any]) -> None:
    """Remember the head ``locking_head`` read, for this transaction's commit."""
    seq, hash_ = (row.seq, row.hash) if row.seq is not None else (0, GENESIS_HASH)
    session.info[_HEAD_HELD] = (session.get_transaction(), seq, hash_)


def init_app(app: Flask) -> None:
    del app  # the hooks are on the session, shared by every app in the process
    if not sa_event.contains(db.session, "before_commit", _append_pending):
        sa_event.listen(db.session, "before_commit", _append_pending)
        sa_event.listen(db.session, "after_transaction_end", _discard_pending)


def event_hash(event: AuditEvent) -> str:
    body = {
        "seq": event.seq,
        "id": str(event.id),
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor_type": event.actor_type,
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id) if event.object_id else None,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None = None
    broken_id: uuid.UUID | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order; report the first event that does not fit."""
    expected_seq = 1
    previous_hash = GENESIS_HASH
    checked = 0
    for event in _events_in_order(batch_size):
        if event.seq != expected_seq:
            return ChainReport(
                checked,
                event.seq,
                event.id,
                f"expected event #{expected_seq} but found #{event.seq}: events are missing",
            )
        if event.prev_hash != previous_hash:
            return ChainReport(checked, event.seq, event.id, "its link to the previous event does not match")
        if event_hash(event) != event.hash:
            return ChainReport(checked, event.seq, event.id, "its contents do not match its hash")
        previous_hash = event.hash
        expected_seq += 1
        checked += 1
    return ChainReport(checked)


def _events_in_order(batch_size: int) -> Iterator[AuditEvent]:
    last_seq = 0
    while True:
        batch = db.session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch_size)
        ).all()
        if not batch:
            return
        yield from batch
        last_seq = batch[-1].seq
        db.session.expunge_all()


def clean_data(value: Any, path: str = "data") -> Any:
    """The audit rule for event data: ids, counts, codes and dates only.
    Returns the JSON-ready value or raises ``AuditDataError``."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        if not _SAFE_TEXT.match(value):
            raise AuditDataError(f"{path}: audit data holds ids and codes only, not {value[:20]!r}")
        return value
    if isinstance(value, dict):
        return {str(key): clean_data(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean_data(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise AuditDataError(f"{path}: unsupported audit value of type {type(value).__name__}")
