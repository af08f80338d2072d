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

import base64
import binascii
import os
import re
import struct
from collections.abc import Iterable, Iterator
from functools import partial
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.utils import Buffer
from flask import Flask, current_app, has_app_context

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
    nonce, body = view[start:start + NONCE_BYTES], view[start + NONCE_BYTES:]
    try:
        return aead.decrypt(nonce, body, key._prefix + purpose.encode())
    except InvalidTag:
        raise DecryptionError(
            f"could not open a value sealed for {purpose!r} under key {key.key_id!r}: "
            "it was altered, belongs to another column, or the key is not the one it was sealed with"
        ) from None


# -- the application keyring -------------------------------------------------

_default_keyring: Keyring | None = None


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


def sealed_key_id(sealed: Buffer, purpose: str = "a column") -> str:
    """The id of the master key a sealed value or wrapped key was sealed under."""
    view = memoryview(sealed)
    if len(view) < 2 or view[0] != _VALUE_VERSION or len(view) < 2 + view[1] + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(f"value for {purpose} is not a Rights Desk sealed value (bad header)")
    return bytes(view[2:2 + view[1]]).decode("ascii", errors="replace")


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


# -- streams ----------------------------------------------------------------


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter >= _MAX_CHUNKS:
        raise CryptoError("stream too long: more than 2**32 chunks")
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _new_header(chunk_size: int) -> tuple[bytes, bytes]:
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be between 1 and {MAX_CHUNK_SIZE} bytes")
    prefix = os.urandom(7)
    return _HEADER.pack(_STREAM_MAGIC, _STREAM_VERSION, chunk_size, prefix), prefix


def parse_header(header: Buffer) -> tuple[int, bytes]:
    """(chunk size, nonce prefix) of a stream header; refuses anything else."""
    if len(memoryview(header)) != HEADER_BYTES:
        raise DecryptionError("not a Rights Desk encrypted stream: the header is missing or cut short")
    magic, version, chunk_size, prefix = _HEADER.unpack(header)
    if magic != _STREAM_MAGIC:
        raise DecryptionError("not a Rights Desk encrypted stream (bad magic)")
    if version != _STREAM_VERSION:
        raise DecryptionError(f"unsupported encrypted stream version {version}")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise DecryptionError(f"encrypted stream header has an impossible chunk size {chunk_size}")
    return chunk_size, prefix


def _fixed_blocks(pieces: Iterable[Buffer], size: int) -> Iterator[Buffer]:
    """Re-cut arbitrary pieces into ``size``-byte blocks (the last may be short).

    Read-only input (bytes) is sliced without copying; mutable input is copied
    because the caller may refill its buffer while we still hold a block.
    """
    pending = bytearray()
    for piece in pieces:
        view = memoryview(piece)
        if view.ndim != 1 or view.itemsize != 1:
            view = view.cast("B")
        if pending:
            take = size - len(pending)
            pending += view[:take]
            view = view[take:]
            if len(pending) < size:
                continue
            yield pending
            pending = bytearray()
        while len(view) >= size:
            yield view[:size] if view.readonly else bytes(view[:size])
            view = view[size:]
        if view:
            pending = bytearray(view)
    if pending:
        yield pending


def encrypt_chunks(
    data_key: bytes, chunks: Iterable[Buffer], *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[bytes]:
    """Yield the stream header, then one sealed segment per ``chunk_size`` of input.

    Input pieces may be any size; memory stays at about two chunks. Empty
    input still yields one (empty) final segment, so a stream cut down to its
    header is detected.
    """
    aead = AESGCM(data_key)
    header, prefix = _new_header(chunk_size)
    yield header
    counter = 0
    held: Buffer = b""
    # One block of look-ahead: only the last chunk may carry the last flag.
    for index, block in enumerate(_fixed_blocks(chunks, chunk_size)):
        if index:
            yield aead.encrypt(_nonce(prefix, counter, False), held, header)
            counter += 1
        held = block
    yield aead.encrypt(_nonce(prefix, counter, True), held, header)


def decrypt_chunks(data_key: bytes, sealed: Iterable[Buffer]) -> Iterator[bytes]:
    """Inverse of ``encrypt_chunks``: header first, then the segments in order."""
    segments = iter(sealed)
    header = bytes(next(segments, b""))
    chunk_size, prefix = parse_header(header)
    aead = AESGCM(data_key)
    held = next(segments, None)
    if held is None:
        raise DecryptionError("encrypted stream is truncated: it has a header but no chunks")
    counter = 0
    for segment in segments:
        yield _open_chunk(aead, header, prefix, chunk_size, counter, held, last=False)
        counter += 1
        held = segment
    yield _open_chunk(aead, header, prefix, chunk_size, counter, held, last=True)


def _open_chunk(
    aead: AESGCM, header: bytes, prefix: bytes, chunk_size: int, counter: int, segment: Buffer, *, last: bool
) -> bytes:
    _check_length(chunk_size, counter, len(memoryview(segment)), last)
    try:
        return aead.decrypt(_nonce(prefix, counter, last), segment, header)
    except InvalidTag:
        raise _damage(aead, header, prefix, counter, segment, last) from None


def _check_length(chunk_size: int, counter: int, length: int, last: bool) -> None:
    full = chunk_size + TAG_BYTES
    if length > full or length < TAG_BYTES or (not last and length != full):
        raise DecryptionError(
            f"chunk {counter} of the encrypted stream has the wrong length ({length} bytes; "
            f"chunks are {full} bytes, the last at most that): it was cut, or data follows the final chunk"
        )


def _damage(
    aead: AESGCM, header: bytes, prefix: bytes, counter: int, segment: Buffer, last: bool
) -> DecryptionError:
    """Name the kind of damage; runs only after authentication has failed."""
    try:
        aead.decrypt(_nonce(prefix, counter, not last), segment, header)
    except InvalidTag:
        return DecryptionError(
            f"chunk {counter} of the encrypted stream failed authentication: it was altered or "
            "reordered, or the key is not the one it was sealed with"
        )
    if last:
        return DecryptionError(
            f"encrypted stream is truncated: chunk {counter} is not the final chunk and the rest is missing"
        )
    return DecryptionError(f"encrypted stream has data appended after its final chunk (chunk {counter})")


def encrypt_file(
    data_key: bytes, source: BinaryIO, target: BinaryIO, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> int:
    """Encrypt ``source`` into ``target``; returns the plaintext size.

    Reads into two alternating buffers and seals into one output buffer, so a
    file of any size costs three chunk-sized allocations in all.
    """
    aead = AESGCM(data_key)
    header, prefix = _new_header(chunk_size)
    target.write(header)
    buffers = (bytearray(chunk_size), bytearray(chunk_size))
    out = bytearray(chunk_size + TAG_BYTES)
    held = _read_full(source, buffers[0])
    counter = total = 0
    while True:
        following = _read_full(source, buffers[(counter + 1) % 2]) if held == chunk_size else 0
        last = following == 0
        written = aead.encrypt_into(
            _nonce(prefix, counter, last),
            memoryview(buffers[counter % 2])[:held],
            header,
            memoryview(out)[:held + TAG_BYTES],
        )
        target.write(memoryview(out)[:written])
        total += held
        if last:
            return total
        counter += 1
        held = following


def decrypt_file(data_key: bytes, source: BinaryIO, target: BinaryIO) -> int:
    """Decrypt a stream written by ``encrypt_file``; returns the plaintext size.

    Plaintext is written as it is authenticated: on an error, ``target`` holds
    a verified prefix and must be discarded.
    """
    total = 0
    for chunk in decrypt_chunks(data_key, read_segments(source)):
        target.write(chunk)
        total += len(chunk)
    return total


def read_segments(source: BinaryIO) -> Iterator[bytes]:
    """Cut a byte stream (header + segments) back into what ``decrypt_chunks`` takes."""
    header = source.read(HEADER_BYTES) or b""
    yield header
    chunk_size, _ = parse_header(header)
    yield from iter(partial(source.read, chunk_size + TAG_BYTES), b"")


def _read_full(source: BinaryIO, buffer: bytearray) -> int:
    """Fill ``buffer`` unless the source ends first; returns the bytes read."""
    view = memoryview(buffer)
    filled = 0
    while filled < len(buffer):
        count = source.readinto(view[filled:])
        if not count:
            break
        filled += count
    return filled
