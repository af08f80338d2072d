import hashlib
import io
import os
import tracemalloc

import pytest
from sqlalchemy import func, select, update

from app import crypto
from app.audit.models import AuditEvent
from app.audit.services import verify_chain
from app.blobs import services
from app.blobs.models import Blob, BlobChunk, DataKey
from app.blobs.services import (
    BlobDestroyedError,
    BlobIntegrityError,
    BlobNotFound,
    open_blob,
    shred_blob,
    store_blob,
)
from app.config import new_master_key_entry
from app.db import new_uuid

CHUNK = 1024


def _read(blob_id) -> bytes:
    return b"".join(open_blob(blob_id))


def _segments(db_session, blob_id) -> list[BlobChunk]:
    query = select(BlobChunk).where(BlobChunk.blob_id == blob_id).order_by(BlobChunk.seq)
    return db_session.scalars(query).all()


@pytest.mark.parametrize("size", [0, 1, CHUNK, 7 * CHUNK + 5])
def test_store_blob_round_trips_bytes(db_session, size):
    data = os.urandom(size)
    blob = store_blob(data, "application/pdf", chunk_size=CHUNK)
    db_session.commit()
    assert (blob.size, blob.sha256, blob.chunk_size) == (size, hashlib.sha256(data).hexdigest(), CHUNK)
    assert len(_segments(db_session, blob.id)) == 1 + max(1, -(-size // CHUNK))
    assert _read(blob.id) == data


def test_store_blob_streams_file_object_and_iterable(db_session):
    data = os.urandom(5 * CHUNK + 3)
    from_file = store_blob(io.BytesIO(data), "text/plain", chunk_size=CHUNK)
    pieces = (data[i:i + 100] for i in range(0, len(data), 100))
    from_pieces = store_blob(pieces, "text/plain", chunk_size=CHUNK)
    db_session.commit()
    assert _read(from_file.id) == _read(from_pieces.id) == data
    assert from_file.data_key_id != from_pieces.data_key_id


def test_store_blob_keeps_only_ciphertext_and_wrapped_key(db_session):
    data = b"Pupil: Sam Example, SEN support notes. " * 100
    blob = store_blob(data, "text/plain", chunk_size=CHUNK)
    db_session.commit()
    for segment in _segments(db_session, blob.id):
        assert b"Sam Example" not in segment.sealed
    key_row = db_session.get(DataKey, blob.data_key_id)
    active_id = crypto.current_keyring().active.key_id
    assert len(key_row.wrapped_key) == 2 + len(active_id) + crypto.NONCE_BYTES + 32 + crypto.TAG_BYTES
    assert key_row.master_key_id == crypto.current_keyring().active.key_id


def test_store_blob_records_audit_event_without_content(db_session):
    blob = store_blob(b"Sam Example's letter", "text/plain")
    db_session.commit()
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "blob.stored")).one()
    assert event.object_id == blob.id
    assert event.data["size"] == 20 and event.data["chunks"] == 1
    assert "Sam" not in str(event.data)
    assert verify_chain().intact


def test_open_blob_fetches_chunks_in_batches(db_session, monkeypatch):
    data = os.urandom(40 * CHUNK + 1)
    blob = store_blob(data, "application/octet-stream", chunk_size=CHUNK)
    db_session.commit()
    monkeypatch.setattr(services, "_BATCH_BYTES", 3 * CHUNK)
    assert _read(blob.id) == data


def test_open_blob_fails_for_unknown_id(db_session):
    with pytest.raises(BlobNotFound):
        open_blob(new_uuid())


def test_open_blob_fails_at_end_when_sha256_does_not_match(db_session):
    blob = store_blob(os.urandom(3 * CHUNK), "application/pdf", chunk_size=CHUNK)
    db_session.commit()
    db_session.execute(update(Blob).where(Blob.id == blob.id).values(sha256="0" * 64))
    db_session.commit()
    chunks = open_blob(blob.id)
    assert len(next(chunks)) == CHUNK
    with pytest.raises(BlobIntegrityError, match="does not match the size or SHA-256"):
        list(chunks)


def test_open_blob_fails_when_stored_chunk_altered(db_session):
    blob = store_blob(os.urandom(3 * CHUNK), "application/pdf", chunk_size=CHUNK)
    db_session.commit()
    segment = _segments(db_session, blob.id)[2]
    segment.sealed = segment.sealed[:-1] + bytes([segment.sealed[-1] ^ 1])
    db_session.commit()
    with pytest.raises(crypto.DecryptionError, match=r"chunk 1 .* failed authentication"):
        _read(blob.id)


def test_open_blob_fails_when_final_chunk_row_deleted(db_session):
    blob = store_blob(os.urandom(3 * CHUNK), "application/pdf", chunk_size=CHUNK)
    db_session.commit()
    db_session.delete(_segments(db_session, blob.id)[-1])
    db_session.commit()
    with pytest.raises(crypto.DecryptionError, match="truncated"):
        _read(blob.id)


def test_open_blob_fails_under_different_master_key_with_same_id(db_session, use_keyring):
    blob = store_blob(b"evidence", "image/png")
    active_id = crypto.current_keyring().active.key_id
    use_keyring(new_master_key_entry(active_id))
    with pytest.raises(crypto.DecryptionError, match="not the one it was sealed with"):
        open_blob(blob.id)


def test_shred_blob_makes_content_unopenable(db_session):
    blob = store_blob(os.urandom(3 * CHUNK), "application/pdf", chunk_size=CHUNK)
    db_session.commit()
    shred_blob(blob.id)
    db_session.commit()
    key_row = db_session.get(DataKey, blob.data_key_id)
    assert key_row.wrapped_key is None and key_row.destroyed_at is not None
    assert db_session.get(Blob, blob.id).sha256 is None
    remaining = select(func.count()).select_from(BlobChunk).where(BlobChunk.blob_id == blob.id)
    assert db_session.scalar(remaining) == 0
    with pytest.raises(BlobDestroyedError, match="this content has been destroyed"):
        open_blob(blob.id)


def test_shred_blob_records_one_audit_event_and_is_idempotent(db_session):
    blob = store_blob(b"x" * 10, "text/plain")
    shred_blob(blob.id)
    shred_blob(blob.id)
    db_session.commit()
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "blob.shredded")).all()
    assert [(e.object_id, e.data["segments_deleted"]) for e in events] == [(blob.id, 2)]
    assert verify_chain().intact


def test_shred_blob_leaves_other_blobs_readable(db_session):
    keep, drop = store_blob(b"keep me", "text/plain"), store_blob(b"drop me", "text/plain")
    shred_blob(drop.id)
    db_session.commit()
    assert _read(keep.id) == b"keep me"


def test_shred_blob_fails_for_unknown_id(db_session):
    with pytest.raises(BlobNotFound):
        shred_blob(new_uuid())


def test_store_and_open_blob_keep_memory_flat(db_session, monkeypatch):
    monkeypatch.setattr(services, "_BATCH_BYTES", 2 << 20)
    block = os.urandom(1 << 20)
    tracemalloc.start()
    try:
        blob = store_blob((block for _ in range(24)), "application/zip")
        db_session.commit()
        _, stored_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        size = sum(len(chunk) for chunk in open_blob(blob.id))
        _, opened_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == blob.size == 24 << 20
    assert stored_peak < 10 << 20
    assert opened_peak < 10 << 20
