"""The keyring and everything sealed with it: column values, data keys, blobs.

Layout of a sealed column value or wrapped data key::

    version (1) | key id length (1) | key id | nonce (12) | AES-256-GCM ciphertext + tag

The version and key id are authenticated too (they are part of the associated
data, followed by the purpose), so nothing in a sealed value can be changed or
moved to another column without the open failing.

Layout of an encrypted stream (one blob)::

    header (16) = magic "RDsx" | version (1) | chunk size (4, big-endian) | nonce prefix (7)
    segment 0..n = AES-256-GCM(chunk) + tag (16), every chunk full-size except the last

Chunks are sealed with the STREAM construction (Hoang, Reyhanitabar, Rogaway,
Vizár 2015): nonce = prefix | chunk counter (4) | last-chunk flag (1), the
header as associated data. Reordering changes the counter, truncation loses
the chunk carrying the last flag, appending makes a last-flagged chunk
non-final; each then fails authentication.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app, has_app_context

from app.crypto.keyring import (
    CONFIG_KEY,
    DEFAULT_CHUNK_SIZE,
    EXTENSION_KEY,
    HEADER_BYTES,
    KEY_BYTES,
    NONCE_BYTES,
    TAG_BYTES,
    CryptoError,
    DecryptionError,
    Keyring,
    KeyringNotLoaded,
    MasterKey,
    UnknownKeyError,
    sealed_key_id,
)
from app.crypto.stream import (
    decrypt_chunks,
    decrypt_file,
    encrypt_chunks,
    encrypt_file,
    new_data_key,
    parse_header,
    read_segments,
)

__all__ = [
    "CONFIG_KEY",
    "DEFAULT_CHUNK_SIZE",
    "EXTENSION_KEY",
    "HEADER_BYTES",
    "KEY_BYTES",
    "NONCE_BYTES",
    "TAG_BYTES",
    "CryptoError",
    "DecryptionError",
    "Keyring",
    "KeyringNotLoaded",
    "MasterKey",
    "UnknownKeyError",
    "current_keyring",
    "decrypt_chunks",
    "decrypt_file",
    "encrypt_chunks",
    "encrypt_file",
    "init_app",
    "new_data_key",
    "open_value",
    "parse_header",
    "read_segments",
    "seal_value",
    "sealed_key_id",
    "secret_derived_key",
    "token_digest",
]


def secret_derived_key(secret_key: str | bytes, purpose: bytes) -> bytes:
    """A 32-byte key for one use only (``purpose``, e.g. ``b"rightsdesk intake
    code v1"``), derived from the app's ``SECRET_KEY`` by HKDF-SHA256, so no
    other use of that secret can produce or check what this key does."""
    material = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(material)


def token_digest(token: str) -> str:
    """SHA-256 of a random secret token (session, reset link, API token,
    confirmation link), so that only the digest is stored. Tokens carry 256
    bits of randomness, so a plain hash cannot be reversed by guessing; lone
    surrogates (from a hostile URL or header) hash instead of raising."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def init_app(app: Flask) -> None:
    """Parse the keyring at start-up, so a wrong or missing key stops the app."""
    global _default_keyring
    keyring = Keyring.parse(app.config.get(CONFIG_KEY) or "")
    app.extensions[EXTENSION_KEY] = keyring
    # For code that runs without an app context (scripts, benchmarks).
    _default_keyring = keyring


def current_keyring() -> Keyring:
    if has_app_context():
        keyring = current_app.extensions.get(EXTENSION_KEY)
        if keyring is not None:
            return keyring
    if _default_keyring is None:
        raise KeyringNotLoaded("no keyring loaded: create_app() (app.crypto.init_app) must run first")
    return _default_keyring


def seal_value(plaintext: bytes, purpose: str) -> bytes:
    """Seal a column value under the active key; ``purpose`` names the column."""
    return current_keyring().seal(plaintext, purpose)


def open_value(sealed: bytes, purpose: str) -> bytes:
    return current_keyring().open(sealed, purpose)
