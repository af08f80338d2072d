"""Chunked AES-256-GCM streams under a per-blob data key (the STREAM
construction). See ``app.crypto`` for the format."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from functools import partial
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.utils import Buffer

from app.crypto.keyring import (
    _HEADER,
    _MAX_CHUNKS,
    _STREAM_MAGIC,
    _STREAM_VERSION,
    DEFAULT_CHUNK_SIZE,
    HEADER_BYTES,
    MAX_CHUNK_SIZE,
    TAG_BYTES,
    CryptoError,
    DecryptionError,
)


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
            memoryview(out)[: held + TAG_BYTES],
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
