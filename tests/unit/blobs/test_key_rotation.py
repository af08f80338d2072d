import os

import pytest
from sqlalchemy import LargeBinary, select, type_coerce

from app import crypto
from app.accounts.models import User
from app.audit.models import AuditEvent
from app.audit.services import verify_chain
from app.blobs.models import DataKey
from app.blobs.services import encrypted_columns, key_status, open_blob, rotate_keys, shred_blob, store_blob
from app.config import new_master_key_entry
from app.sources.pupils.models import SendRecord


def _raw(db_session, column, row_id) -> bytes:
    table = column.class_
    return db_session.scalar(select(type_coerce(column, LargeBinary)).where(table.id == row_id))


def test_encrypted_columns_finds_every_encrypted_text_column(app):
    found = {f"{table.name}.{column.name}" for table, column in encrypted_columns()}
    assert {"users.totp_secret", "send_records.notes"} <= found


def test_rotate_then_drop_old_key_keeps_everything_readable(
    db_session, use_keyring, original_keys, make_user, make_send_record
):
    blobs = {store_blob(os.urandom(3000), "application/pdf", chunk_size=1024).id for _ in range(3)}
    contents = {blob_id: b"".join(open_blob(blob_id)) for blob_id in blobs}
    users = [make_user(n, f"TOTPSECRET{n}") for n in range(3)] + [make_user(9, None)]
    notes = [make_send_record(f"Needs a reader in exams ({n})") for n in range(2)]
    db_session.commit()
    user_ids, note_ids = [u.id for u in users], [r.id for r in notes]

    new_entry = new_master_key_entry("k-new")
    use_keyring(new_entry, original_keys)
    report = rotate_keys(batch_size=2)

    assert report.active_key_id == "k-new"
    assert report.data_keys_rewrapped == 3
    assert report.values_reencrypted["users.totp_secret"] == 3
    assert report.values_reencrypted["send_records.notes"] == 2
    assert report.values_total == 5

    use_keyring(new_entry)  # the old key is gone for good
    for blob_id, content in contents.items():
        assert b"".join(open_blob(blob_id)) == content
    assert [db_session.get(User, i).totp_secret for i in user_ids] == [
        "TOTPSECRET0", "TOTPSECRET1", "TOTPSECRET2", None
    ]
    assert [db_session.get(SendRecord, i).notes for i in note_ids] == [
        "Needs a reader in exams (0)", "Needs a reader in exams (1)"
    ]
    assert crypto.sealed_key_id(_raw(db_session, User.totp_secret, user_ids[0])) == "k-new"
    assert set(db_session.scalars(select(DataKey.master_key_id))) == {"k-new"}
    assert verify_chain().intact


def test_rotate_twice_does_nothing_the_second_time(db_session, use_keyring, original_keys, make_user):
    store_blob(b"content", "text/plain")
    make_user(1, "SECRET")
    use_keyring(new_master_key_entry("k2"), original_keys)
    rotate_keys()
    again = rotate_keys()
    assert (again.data_keys_rewrapped, again.values_total) == (0, 0)


def test_rotate_skips_shredded_data_keys(db_session, use_keyring, original_keys):
    kept, shredded = store_blob(b"kept", "text/plain"), store_blob(b"gone", "text/plain")
    shred_blob(shredded.id)
    old_id = crypto.current_keyring().active.key_id
    use_keyring(new_master_key_entry("k2"), original_keys)
    assert rotate_keys().data_keys_rewrapped == 1
    assert db_session.get(DataKey, kept.data_key_id).master_key_id == "k2"
    gone = db_session.get(DataKey, shredded.data_key_id)
    assert (gone.master_key_id, gone.wrapped_key) == (old_id, None)


def test_rotate_records_audit_events_with_counts_only(db_session, use_keyring, original_keys, make_user):
    store_blob(b"content", "text/plain")
    make_user(1, "SECRET")
    use_keyring(new_master_key_entry("k2"), original_keys)
    rotate_keys()
    events = {e.action: e.data for e in db_session.scalars(select(AuditEvent)).all()}
    assert events["keys.rotated"] == {
        "active_key_id": "k2", "data_keys_rewrapped": 1, "values_reencrypted": 1
    }
    assert events["keys.values_reencrypted"]["column"] == "users.totp_secret"
    assert "SECRET" not in str(events)


def test_rotate_fails_clearly_when_old_key_already_removed(db_session, use_keyring, make_user):
    make_user(1, "SECRET")
    use_keyring(new_master_key_entry("k2"))
    with pytest.raises(crypto.UnknownKeyError, match="is not in the keyring"):
        rotate_keys()


def test_key_status_counts_data_keys_and_stale_values(db_session, use_keyring, original_keys, make_user):
    old_id = crypto.current_keyring().active.key_id
    store_blob(b"a", "text/plain")
    shred_blob(store_blob(b"b", "text/plain").id)
    make_user(1, "SECRET")
    use_keyring(new_master_key_entry("k2"), original_keys)
    store_blob(b"c", "text/plain")
    status = key_status()
    assert status.active_key_id == "k2"
    assert status.keyring == ("k2", old_id)
    assert status.data_keys == {old_id: (1, 1), "k2": (1, 0)}
    assert status.stale_values["users.totp_secret"] == 1
    assert status.stale_values["send_records.notes"] == 0
