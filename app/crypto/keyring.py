"""Master keys and what is sealed directly under them: column values and
wrapped data keys. See ``app.crypto`` for the formats."""

from __future__ import annotations

import base64
import binascii
import os
import re
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.utils import Buffer

from app.config import ConfigError

EXTENSION_KEY = "rightsdesk.keyring"
CONFIG_KEY = "RIGHTSDESK_MASTER_KEYS"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
DEFAULT_CHUNK_SIZE = 1 << 20
MAX_CHUNK_SIZE = 64 << 20

_VALUE_VERSION = 1
_STREAM_MAGIC = b"RDsx"
_STREAM_VERSION = 1
_HEADER = struct.Struct(">4sBI7s")
HEADER_BYTES = _HEADER.size
_MAX_CHUNKS = 1 << 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
_URLSAFE_B64 = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")
_COLUMN_INFO = b"rightsdesk column v1"
_WRAP_INFO = b"rightsdesk data key wrap v1"
_WRAP_PURPOSE = "rightsdesk.data_key"


class CryptoError(Exception):
    """Base class for failures of the encryption layer."""


class DecryptionError(CryptoError):
    """Sealed data could not be opened: wrong key, wrong purpose, or altered."""


class UnknownKeyError(DecryptionError):
    """The data was sealed under a master key that is not in the keyring."""


class KeyringNotLoaded(CryptoError):
    """``init_app`` has not run, so there is no keyring."""


class MasterKey:
    """One keyring entry. Only keys derived from the master key are kept, and
    nothing here ever prints them."""

    __slots__ = ("_column", "_prefix", "_wrap", "key_id")

    def __init__(self, key_id: str, material: bytes) -> None:
        self.key_id = key_id
        self._prefix = bytes([_VALUE_VERSION, len(key_id)]) + key_id.encode("ascii")
        # Separate derived keys, so column values and wrapped data keys can
        # never be confused with each other or with any future use.
        self._column = AESGCM(_derive(material, _COLUMN_INFO))
        self._wrap = AESGCM(_derive(material, _WRAP_INFO))

    def __repr__(self) -> str:
        return f"MasterKey({self.key_id!r})"


def _derive(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(material)


class Keyring:
    """Master keys by id; the first is active (seals everything new)."""

    def __init__(self, keys: list[MasterKey]) -> None:
        if not keys:
            raise ConfigError(f"{CONFIG_KEY} holds no keys.")
        self._keys = {key.key_id: key for key in keys}
        self.active = keys[0]

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        """Parse ``<key id>:<urlsafe base64 of 32 bytes>,...``. Error messages
        name the entry and the key id but never contain key material."""
        if not spec or not spec.strip():
            raise ConfigError(
                f"{CONFIG_KEY} is empty: set it to '<key id>:<base64 of 32 random bytes>' "
                "(python -c 'from app.config import new_master_key_entry as n; print(n())')."
            )
        keys: list[MasterKey] = []
        seen: dict[str, int] = {}
        for number, entry in enumerate(spec.split(","), start=1):
            key_id, material = _parse_entry(entry.strip(), number)
            if key_id in seen:
                raise ConfigError(
                    f"{CONFIG_KEY}: key id {key_id!r} appears twice (entries {seen[key_id]} and {number})."
                )
            seen[key_id] = number
            keys.append(MasterKey(key_id, material))
        return cls(keys)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def get(self, key_id: str) -> MasterKey:
        try:
            return self._keys[key_id]
        except KeyError:
            raise UnknownKeyError(
                f"master key {key_id!r} is not in the keyring ({', '.join(self._keys)}): "
                f"add it back to {CONFIG_KEY} (after the active key) to open this data"
            ) from None

    def active_prefix(self) -> bytes:
        """The leading bytes of every value sealed now; lets SQL find values
        sealed under older keys without opening them."""
        return self.active._prefix

    def seal(self, plaintext: Buffer, purpose: str) -> bytes:
        return _seal(self.active, self.active._column, plaintext, purpose)

    def open(self, sealed: Buffer, purpose: str) -> bytes:
        key, body = self._split(sealed, purpose)
        return _open(key, key._column, body, purpose)

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """Wrap a data key under the active key; returns (key id, wrapped)."""
        # AES-GCM rather than RFC 3394 key wrap: the key id and purpose are
        # bound as associated data, the tag is 128 bits (key wrap checks 64),
        # and it is the same audited primitive as everything else here. Random
        # 96-bit nonces are safe: one master key wraps far fewer than 2**32 keys.
        if len(data_key) != KEY_BYTES:
            raise ValueError(f"a data key is {KEY_BYTES} bytes, got {len(data_key)}")
        return self.active.key_id, _seal(self.active, self.active._wrap, data_key, _WRAP_PURPOSE)

    def unwrap(self, wrapped: Buffer) -> bytes:
        key, body = self._split(wrapped, _WRAP_PURPOSE)
        return _open(key, key._wrap, body, _WRAP_PURPOSE)

    def _split(self, sealed: Buffer, purpose: str) -> tuple[MasterKey, memoryview]:
        return self.get(sealed_key_id(sealed, repr(purpose))), memoryview(sealed)


def _parse_entry(entry: str, number: int) -> tuple[str, bytes]:
    where = f"{CONFIG_KEY} entry {number}"
    if not entry:
        raise ConfigError(f"{where} is empty (check for a stray comma).")
    key_id, colon, encoded = entry.partition(":")
    if not colon:
        raise ConfigError(f"{where} has no ':'; expected '<key id>:<base64 key>'.")
    key_id, encoded = key_id.strip(), encoded.strip()
    if not _KEY_ID.match(key_id):
        # The id may be a pasted key; say what is wrong without echoing it.
        raise ConfigError(f"{where}: the key id must be 1-40 letters, digits, '_', '.' or '-'.")
    where = f"{where} (key id {key_id!r})"
    if not _URLSAFE_B64.match(encoded):
        raise ConfigError(f"{where}: the key is not URL-safe base64.")
    try:
        material = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{where}: the key is not valid URL-safe base64.") from None
    if len(material) != KEY_BYTES:
        raise ConfigError(f"{where}: the key is {len(material)} bytes; it must be exactly {KEY_BYTES}.")
    return key_id, material


def _seal(key: MasterKey, aead: AESGCM, plaintext: Buffer, purpose: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return b"".join((key._prefix, nonce, aead.encrypt(nonce, plaintext, key._prefix + purpose.encode())))


def _open(key: MasterKey, aead: AESGCM, view: memoryview, purpose: str) -> bytes:
    start = len(key._prefix)
    nonce, body = view[start : start + NONCE_BYTES], view[start + NONCE_BYTES :]
    try:
        return aead.decrypt(nonce, body, key._prefix + purpose.encode())
    except InvalidTag:
        raise DecryptionError(
            f"could not open a value sealed for {purpose!r} under key {key.key_id!r}: "
            "it was altered, belongs to another column, or the key is not the one it was sealed with"
        ) from None


# -- the application keyring -------------------------------------------------

_default_keyring: Keyring | None = None


def sealed_key_id(sealed: Buffer, purpose: str = "a column") -> str:
    """The id of the master key a sealed value or wrapped key was sealed under."""
    view = memoryview(sealed)
    if len(view) < 2 or view[0] != _VALUE_VERSION or len(view) < 2 + view[1] + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(f"value for {purpose} is not a Rights Desk sealed value (bad header)")
    return bytes(view[2 : 2 + view[1]]).decode("ascii", errors="replace")
