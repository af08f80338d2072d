import pytest
from sqlalchemy import LargeBinary, select, type_coerce

from app import crypto
from app.accounts.models import Role, User
from app.config import new_master_key_entry

PURPOSE = "users.totp_secret"


@pytest.fixture
def ring() -> crypto.Keyring:
    return crypto.Keyring.parse(",".join([new_master_key_entry("k2"), new_master_key_entry("k1")]))


@pytest.mark.parametrize(
    "plaintext", [b"", b"JBSWY3DPEHPK3PXP", "Zoë's notes ✓".encode(), bytes(range(256)) * 40]
)
def test_seal_round_trips_value(ring, plaintext):
    sealed = ring.seal(plaintext, PURPOSE)
    assert ring.open(sealed, PURPOSE) == plaintext
    assert plaintext == b"" or plaintext not in sealed


def test_seal_writes_version_key_id_and_fresh_nonce(ring):
    first, second = ring.seal(b"same", PURPOSE), ring.seal(b"same", PURPOSE)
    assert first[:4] == bytes([1, 2]) + b"k2" == ring.active_prefix()
    assert crypto.sealed_key_id(first) == "k2"
    assert first != second
    assert len(first) == 4 + crypto.NONCE_BYTES + 4 + crypto.TAG_BYTES


def test_open_fails_clearly_for_wrong_purpose(ring):
    sealed = ring.seal(b"secret", PURPOSE)
    with pytest.raises(crypto.DecryptionError, match=r"sealed for 'send_records\.notes' under key 'k2'"):
        ring.open(sealed, "send_records.notes")


@pytest.mark.parametrize("position", [0, 2, 3, 4, 10, 16, 17, -1])
def test_open_fails_when_any_byte_is_flipped(ring, position):
    sealed = bytearray(ring.seal(b"secret value", PURPOSE))
    sealed[position] ^= 0x01
    with pytest.raises(crypto.DecryptionError):
        ring.open(bytes(sealed), PURPOSE)


def test_open_fails_for_truncated_value(ring):
    sealed = ring.seal(b"secret value", PURPOSE)
    for cut in (0, 1, 3, 4 + crypto.NONCE_BYTES, len(sealed) - 1):
        with pytest.raises(crypto.DecryptionError):
            ring.open(sealed[:cut], PURPOSE)


def test_open_fails_with_different_key_under_same_id(ring):
    sealed = ring.seal(b"secret", PURPOSE)
    impostor = crypto.Keyring.parse(new_master_key_entry("k2"))
    with pytest.raises(crypto.DecryptionError, match="not the one it was sealed with"):
        impostor.open(sealed, PURPOSE)


def test_open_names_key_missing_from_keyring(ring):
    sealed = ring.seal(b"secret", PURPOSE)
    other = crypto.Keyring.parse(new_master_key_entry("k9"))
    with pytest.raises(crypto.UnknownKeyError, match="master key 'k2' is not in the keyring"):
        other.open(sealed, PURPOSE)


def test_open_uses_older_key_still_in_keyring(ring):
    old_only = crypto.Keyring.parse(new_master_key_entry("k0"))
    sealed = old_only.seal(b"old secret", PURPOSE)
    both = crypto.Keyring([crypto.Keyring.parse(new_master_key_entry("k3")).active, old_only.active])
    assert both.open(sealed, PURPOSE) == b"old secret"
    assert crypto.sealed_key_id(both.seal(b"new", PURPOSE)) == "k3"


def test_wrap_round_trips_data_key_and_is_not_a_column_value(ring):
    data_key = crypto.new_data_key()
    key_id, wrapped = ring.wrap(data_key)
    assert key_id == "k2" and data_key not in wrapped
    assert ring.unwrap(wrapped) == data_key
    # Wrapping and column sealing use separately derived keys.
    with pytest.raises(crypto.DecryptionError):
        ring.open(wrapped, "rightsdesk.data_key")


def test_wrap_refuses_key_of_wrong_length(ring):
    with pytest.raises(ValueError, match="32 bytes"):
        ring.wrap(b"short")


def test_encrypted_column_stores_sealed_bytes_and_reads_plaintext(db_session):
    user = User(email="a@example.org", name="A", password_hash="x", role=Role.ADMIN, totp_secret="JBSWY3DP")
    db_session.add(user)
    db_session.commit()
    raw = db_session.scalar(select(type_coerce(User.totp_secret, LargeBinary)).where(User.id == user.id))
    assert b"JBSWY3DP" not in raw
    assert crypto.sealed_key_id(raw) == crypto.current_keyring().active.key_id
    db_session.expire_all()
    assert db_session.get(User, user.id).totp_secret == "JBSWY3DP"
