"""Storing, streaming and crypto-shredding blobs; rotating the master keyring.

``store_blob`` and ``shred_blob`` write in the caller's transaction (the
caller commits, together with whatever refers to the blob). ``rotate_keys`` is
an operator job and commits after each batch, so a long rotation holds no
long lock and an interrupted one simply carries on where it stopped when run
again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO

from sqlalchemy import (
    Column,
    LargeBinary,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from app import crypto
from app.audit.services import record
from app.blobs.models import Blob, BlobChunk, DataKey
from app.db import EncryptedText, new_uuid, utcnow
from app.extensions import db

# Sealed chunks sent or fetched per round trip, bounded by bytes so memory
# stays flat whatever the chunk size.
_BATCH_BYTES = 8 << 20
DEFAULT_ROTATION_BATCH = 500

Source = BinaryIO | bytes | bytearray | memoryview | Iterable[bytes | bytearray | memoryview]


class BlobError(Exception):
    """Base class for blob failures."""


class BlobNotFound(BlobError, LookupError):
    pass


class BlobDestroyedError(BlobError):
    """The blob was crypto-shredded; its content cannot be recovered."""


class FileDestroyed(Exception):
    """A stored file (evidence, a letter, a certificate) whose blob was
    shredded under a retention rule. Its download answers 410 with this
    message: never the bytes, never a 500."""


class BlobIntegrityError(BlobError):
    """The plaintext does not match the size or SHA-256 recorded at storage."""


def store_blob(source: Source, content_type: str, *, chunk_size: int = crypto.DEFAULT_CHUNK_SIZE) -> Blob:
    """Encrypt ``source`` (a binary file object, bytes, or an iterable of
    bytes-like pieces) into the database under a new data key.

    Streams: memory use is a few chunks whatever the size. Size and SHA-256
    of the plaintext are computed on the way through.
    """
    session = db.session
    data_key = crypto.new_data_key()
    master_key_id, wrapped = crypto.current_keyring().wrap(data_key)
    key_row = DataKey(id=new_uuid(), master_key_id=master_key_id, wrapped_key=wrapped)
    blob = Blob(id=new_uuid(), data_key=key_row, content_type=content_type, size=0, chunk_size=chunk_size)
    session.add(blob)
    session.flush()

    digest = hashlib.sha256()
    size = 0

    def measured() -> Iterator[memoryview]:
        nonlocal size
        for piece in _pieces(source, chunk_size):
            view = memoryview(piece)
            digest.update(view)
            size += view.nbytes
            yield view

    rows: list[dict[str, object]] = []
    pending = segments = 0
    for seq, segment in enumerate(crypto.encrypt_chunks(data_key, measured(), chunk_size=chunk_size)):
        rows.append({"blob_id": blob.id, "seq": seq, "sealed": segment})
        pending += len(segment)
        segments += 1
        if pending >= _BATCH_BYTES:
            session.execute(insert(BlobChunk), rows)
            rows, pending = [], 0
    if rows:
        session.execute(insert(BlobChunk), rows)

    blob.size = size
    blob.sha256 = digest.hexdigest()
    record(
        "blob.stored",
        object_type="blob",
        object_id=blob.id,
        data={
            "data_key_id": key_row.id,
            "master_key_id": master_key_id,
            "size": size,
            "chunks": segments - 1,
        },
    )
    session.flush()
    return blob


def _pieces(source: Source, chunk_size: int) -> Iterable[bytes | bytearray | memoryview]:
    if isinstance(source, bytes | bytearray | memoryview):
        return (source,)
    read = getattr(source, "read", None)
    if read is not None:
        return iter(partial(read, chunk_size), b"")
    return source


def open_blob(blob_id: uuid.UUID) -> Iterator[bytes]:
    """The plaintext of a blob, chunk by chunk.

    Missing or destroyed blobs fail here, before iteration starts. Every
    chunk is authenticated before it is yielded; the SHA-256 over the whole is
    checked after the last one, so a consumer that has already sent chunks on
    must treat a ``BlobIntegrityError`` at the end as a failed transfer.
    Iterate inside the app context (``stream_with_context`` in a view).
    """
    blob = db.session.get(Blob, blob_id)
    if blob is None:
        raise BlobNotFound(f"no blob with id {blob_id}")
    key_row = blob.data_key
    if key_row.wrapped_key is None:
        when = f" on {key_row.destroyed_at:%Y-%m-%d}" if key_row.destroyed_at else ""
        raise BlobDestroyedError(
            f"blob {blob_id}: this content has been destroyed{when} (its key was shredded) "
            "and can no longer be opened"
        )
    data_key = crypto.current_keyring().unwrap(key_row.wrapped_key)
    return _plaintext(blob.id, data_key, blob.size, blob.sha256, blob.chunk_size)


def _plaintext(
    blob_id: uuid.UUID, data_key: bytes, size: int, sha256: str | None, chunk_size: int
) -> Iterator[bytes]:
    digest = hashlib.sha256()
    seen = 0
    for chunk in crypto.decrypt_chunks(data_key, _sealed_segments(blob_id, chunk_size)):
        digest.update(chunk)
        seen += len(chunk)
        yield chunk
    if seen != size or digest.hexdigest() != sha256:
        raise BlobIntegrityError(
            f"blob {blob_id}: the content opened but does not match the size or SHA-256 recorded "
            "when it was stored"
        )


def _sealed_segments(blob_id: uuid.UUID, chunk_size: int) -> Iterator[bytes]:
    batch = max(1, _BATCH_BYTES // (chunk_size + crypto.TAG_BYTES))
    next_seq = 0
    while True:
        rows = db.session.execute(
            select(BlobChunk.seq, BlobChunk.sealed)
            .where(BlobChunk.blob_id == blob_id, BlobChunk.seq >= next_seq)
            .order_by(BlobChunk.seq)
            .limit(batch)
        ).all()
        for row in rows:
            yield row.sealed
        if len(rows) < batch:
            return
        next_seq = rows[-1].seq + 1


def shred_blob(blob_id: uuid.UUID) -> None:
    """Crypto-shred a blob: destroy its data key and delete its chunks.

    Copies of the chunks in backups become unreadable at once; the wrapped
    key itself leaves backups as they age out. Shredding twice is a no-op.
    """
    session = db.session
    blob = session.get(Blob, blob_id)
    if blob is None:
        raise BlobNotFound(f"no blob with id {blob_id}")
    key_row = blob.data_key
    if key_row.destroyed_at is not None:
        return
    key_row.wrapped_key = None
    key_row.destroyed_at = utcnow()
    blob.sha256 = None
    result = session.execute(
        delete(BlobChunk).where(BlobChunk.blob_id == blob.id).execution_options(synchronize_session=False)
    )
    record(
        "blob.shredded",
        object_type="blob",
        object_id=blob.id,
        data={"data_key_id": key_row.id, "segments_deleted": result.rowcount},
    )
    session.flush()


# -- key rotation ------------------------------------------------------------


@dataclass(frozen=True)
class RotationReport:
    active_key_id: str
    data_keys_rewrapped: int
    # "table.column" -> values re-encrypted under the active key.
    values_reencrypted: dict[str, int]

    @property
    def values_total(self) -> int:
        return sum(self.values_reencrypted.values())


@dataclass(frozen=True)
class KeyStatus:
    active_key_id: str
    keyring: tuple[str, ...]
    # master key id -> (live data keys, destroyed data keys)
    data_keys: dict[str, tuple[int, int]]
    # "table.column" -> values still sealed under an older key
    stale_values: dict[str, int]


def encrypted_columns() -> list[tuple[Table, Column]]:
    """Every ``EncryptedText`` column of every mapped table."""
    return [
        (table, column)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    ]


def rotate_keys(*, batch_size: int = DEFAULT_ROTATION_BATCH) -> RotationReport:
    """Bring everything under the active master key: re-wrap live data keys
    (blob content is untouched) and re-encrypt every ``EncryptedText`` value
    sealed under another key. Afterwards older keys can leave the keyring.

    Commits after each batch. Fails with ``UnknownKeyError`` if something is
    sealed under a key that is no longer in the keyring.
    """
    keyring = crypto.current_keyring()
    rewrapped = _rewrap_data_keys(keyring, batch_size)
    values = {
        f"{table.name}.{column.name}": _reseal_column(keyring, table, column, batch_size)
        for table, column in encrypted_columns()
    }
    report = RotationReport(keyring.active.key_id, rewrapped, values)
    record(
        "keys.rotated",
        data={
            "active_key_id": report.active_key_id,
            "data_keys_rewrapped": rewrapped,
            "values_reencrypted": report.values_total,
        },
    )
    db.session.commit()
    return report


def _rewrap_data_keys(keyring: crypto.Keyring, batch_size: int) -> int:
    active = keyring.active.key_id
    total = 0
    while True:
        rows = db.session.execute(
            select(DataKey.id, DataKey.wrapped_key)
            .where(DataKey.master_key_id != active, DataKey.wrapped_key.is_not(None))
            .order_by(DataKey.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return total
        params = []
        for row in rows:
            key_id, wrapped = keyring.wrap(keyring.unwrap(row.wrapped_key))
            params.append({"id": row.id, "master_key_id": key_id, "wrapped_key": wrapped})
        # ORM bulk UPDATE by primary key: one executemany, no objects loaded.
        db.session.execute(update(DataKey), params)
        record("keys.data_keys_rewrapped", data={"count": len(rows), "to_key": active})
        db.session.commit()
        total += len(rows)


def _stale(keyring: crypto.Keyring, column: Column) -> ColumnElement[bool]:
    """Values not sealed under the active key, found by their key-id prefix
    in SQL (substr works on bytea and BLOB alike) without opening them."""
    prefix = keyring.active_prefix()
    head = func.substr(type_coerce(column, LargeBinary), 1, len(prefix), type_=LargeBinary)
    return and_(column.is_not(None), head != prefix)


def _reseal_column(keyring: crypto.Keyring, table: Table, column: Column, batch_size: int) -> int:
    purpose = column.type.purpose
    keys = list(table.primary_key.columns)
    raw = type_coerce(column, LargeBinary).label("sealed_value")
    query = select(*keys, raw).where(_stale(keyring, column)).limit(batch_size)
    statement = (
        update(table)
        .where(and_(*(key == bindparam(f"pk_{index}") for index, key in enumerate(keys))))
        .values({column: bindparam("resealed", type_=LargeBinary)})
    )
    total = 0
    while True:
        rows = db.session.execute(query).all()
        if not rows:
            return total
        params = []
        for row in rows:
            resealed = keyring.seal(keyring.open(row[-1], purpose), purpose)
            params.append({**{f"pk_{index}": row[index] for index in range(len(keys))}, "resealed": resealed})
        db.session.execute(statement, params)
        record(
            "keys.values_reencrypted",
            data={
                "column": f"{table.name}.{column.name}",
                "count": len(rows),
                "to_key": keyring.active.key_id,
            },
        )
        db.session.commit()
        total += len(rows)


def key_status() -> KeyStatus:
    keyring = crypto.current_keyring()
    counts = db.session.execute(
        select(DataKey.master_key_id, func.count(), func.count(DataKey.destroyed_at)).group_by(
            DataKey.master_key_id
        )
    ).all()
    stale = {
        f"{table.name}.{column.name}": db.session.scalar(
            select(func.count()).select_from(table).where(_stale(keyring, column))
        )
        or 0
        for table, column in encrypted_columns()
    }
    return KeyStatus(
        active_key_id=keyring.active.key_id,
        keyring=keyring.key_ids,
        data_keys={key_id: (total - destroyed, destroyed) for key_id, total, destroyed in counts},
        stale_values=stale,
    )
