from app import crypto
from app.blobs.services import store_blob
from app.config import new_master_key_entry


def test_keys_rotate_command_prints_counts(app, db_session, use_keyring, original_keys, make_user):
    store_blob(b"one", "text/plain")
    store_blob(b"two", "text/plain")
    make_user(1, "SECRET")
    use_keyring(new_master_key_entry("k2"), original_keys)
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Active key: k2" in result.output
    assert "Re-wrapped data keys: 2" in result.output
    assert "Re-encrypted values: 1" in result.output
    assert "users.totp_secret: 1" in result.output


def test_keys_rotate_command_exits_1_when_a_key_is_missing(app, db_session, use_keyring, make_user):
    make_user(1, "SECRET")
    use_keyring(new_master_key_entry("k2"))
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 1
    assert "Rotation stopped" in result.output and "not in the keyring" in result.output


def test_keys_status_command_shows_active_key_and_counts(app, db_session, use_keyring, original_keys):
    old_id = crypto.current_keyring().active.key_id
    store_blob(b"one", "text/plain")
    use_keyring(new_master_key_entry("k2"), original_keys)
    result = app.test_cli_runner().invoke(args=["keys", "status"])
    assert result.exit_code == 0, result.output
    assert "Active key: k2" in result.output
    assert f"Keyring: k2, {old_id}" in result.output
    assert f"{old_id}: 1 live, 0 destroyed" in result.output
    assert "users.totp_secret: 0" in result.output


def test_keys_status_command_warns_about_data_keys_outside_keyring(app, db_session, use_keyring):
    store_blob(b"one", "text/plain")
    use_keyring(new_master_key_entry("k2"))
    result = app.test_cli_runner().invoke(args=["keys", "status"])
    assert "NOT IN KEYRING" in result.output
