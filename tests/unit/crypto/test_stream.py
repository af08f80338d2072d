import io
import os
import tracemalloc

import pytest

from app import crypto

CHUNK = 64


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def _seal(data: bytes, key: bytes, piece: int = 17) -> list[bytes]:
    return list(crypto.encrypt_chunks(key, _pieces(data, piece), chunk_size=CHUNK))


def _open(key: bytes, segments) -> bytes:
    return b"".join(crypto.decrypt_chunks(key, segments))


@pytest.fixture
def key() -> bytes:
    return crypto.new_data_key()


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK, 5 * CHUNK + 7])
@pytest.mark.parametrize("piece", [1, 13, CHUNK, 1000])
def test_stream_round_trips_any_size_from_any_pieces(key, size, piece):
    data = os.urandom(size)
    segments = list(crypto.encrypt_chunks(key, _pieces(data, piece), chunk_size=CHUNK))
    assert len(segments[0]) == crypto.HEADER_BYTES
    assert len(segments) == 1 + max(1, -(-size // CHUNK))
    assert all(len(s) == CHUNK + crypto.TAG_BYTES for s in segments[1:-1])
    assert _open(key, segments) == data


def test_stream_round_trips_empty_input_as_one_empty_final_chunk(key):
    segments = list(crypto.encrypt_chunks(key, [], chunk_size=CHUNK))
    assert [len(s) for s in segments] == [crypto.HEADER_BYTES, crypto.TAG_BYTES]
    assert _open(key, segments) == b""


def test_stream_copies_mutable_pieces_the_caller_reuses(key):
    data = os.urandom(10 * CHUNK)
    buffer = bytearray(CHUNK)

    def reused():
        for start in range(0, len(data), CHUNK):
            buffer[:] = data[start:start + CHUNK]
            yield buffer

    assert _open(key, list(crypto.encrypt_chunks(key, reused(), chunk_size=CHUNK))) == data


def test_stream_uses_default_chunk_size_of_one_mebibyte(key):
    data = os.urandom(crypto.DEFAULT_CHUNK_SIZE * 2 + 5)
    segments = list(crypto.encrypt_chunks(key, [data]))
    assert [len(s) for s in segments[1:]] == [crypto.DEFAULT_CHUNK_SIZE + 16] * 2 + [5 + 16]
    assert _open(key, segments) == data


def test_stream_memory_stays_flat_for_large_input(key):
    block = os.urandom(1 << 20)
    tracemalloc.start()
    try:
        total = 0
        plain = crypto.decrypt_chunks(key, crypto.encrypt_chunks(key, (block for _ in range(48))))
        for chunk in plain:
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 48 << 20
    assert peak < 6 << 20


def test_decrypt_fails_when_byte_flipped_in_any_segment(key):
    segments = _seal(os.urandom(3 * CHUNK + 5), key)
    for index in range(len(segments)):
        for position in (0, len(segments[index]) - 1):
            damaged = list(segments)
            altered = bytearray(damaged[index])
            altered[position] ^= 0x80
            damaged[index] = bytes(altered)
            with pytest.raises(crypto.DecryptionError):
                _open(key, damaged)


def test_decrypt_fails_when_final_chunk_dropped(key):
    segments = _seal(os.urandom(3 * CHUNK + 5), key)
    with pytest.raises(crypto.DecryptionError, match="truncated: chunk 2 is not the final chunk"):
        _open(key, segments[:-1])


def test_decrypt_fails_when_exact_multiple_loses_final_chunk(key):
    segments = _seal(os.urandom(3 * CHUNK), key)
    with pytest.raises(crypto.DecryptionError, match="truncated"):
        _open(key, segments[:-1])


def test_decrypt_fails_when_only_header_remains(key):
    segments = _seal(b"", key)
    with pytest.raises(crypto.DecryptionError, match="has a header but no chunks"):
        _open(key, segments[:1])


def test_decrypt_fails_on_empty_or_foreign_stream(key):
    with pytest.raises(crypto.DecryptionError, match="header is missing"):
        _open(key, [])
    with pytest.raises(crypto.DecryptionError, match="bad magic"):
        _open(key, [b"PK\x03\x04" + bytes(12), bytes(16)])


def test_decrypt_fails_when_chunks_swapped(key):
    segments = _seal(os.urandom(4 * CHUNK), key)
    segments[1], segments[2] = segments[2], segments[1]
    with pytest.raises(crypto.DecryptionError, match=r"chunk 0 .* failed authentication"):
        _open(key, segments)


def test_decrypt_fails_when_middle_chunk_dropped(key):
    segments = _seal(os.urandom(4 * CHUNK), key)
    with pytest.raises(crypto.DecryptionError, match=r"chunk 1 .* failed authentication"):
        _open(key, segments[:2] + segments[3:])


def test_decrypt_fails_when_chunk_appended_after_full_final_chunk(key):
    segments = _seal(os.urandom(2 * CHUNK), key)
    with pytest.raises(crypto.DecryptionError, match="appended after its final chunk"):
        _open(key, [*segments, segments[-1]])
    with pytest.raises(crypto.DecryptionError, match="appended after its final chunk"):
        _open(key, [*segments, _seal(os.urandom(CHUNK), key)[1]])


def test_decrypt_fails_when_chunk_appended_after_short_final_chunk(key):
    segments = _seal(os.urandom(2 * CHUNK + 3), key)
    with pytest.raises(crypto.DecryptionError, match="data follows the final chunk"):
        _open(key, [*segments, segments[1]])


def test_decrypt_fails_when_chunk_taken_from_another_stream_with_same_key(key):
    first, second = _seal(os.urandom(2 * CHUNK), key), _seal(os.urandom(2 * CHUNK), key)
    with pytest.raises(crypto.DecryptionError, match="failed authentication"):
        _open(key, [first[0], second[1], first[2]])


def test_decrypt_fails_with_wrong_data_key(key):
    segments = _seal(os.urandom(2 * CHUNK), key)
    with pytest.raises(crypto.DecryptionError, match=r"chunk 0 .* key is not the one"):
        _open(crypto.new_data_key(), segments)


def test_decrypt_fails_when_header_chunk_size_changed(key):
    segments = _seal(os.urandom(3 * CHUNK), key)
    header = bytearray(segments[0])
    header[8] = CHUNK + 1  # chunk size is bytes 5..8, big-endian
    with pytest.raises(crypto.DecryptionError):
        _open(key, [bytes(header), *segments[1:]])


def test_decrypt_fails_when_segment_has_wrong_length(key):
    segments = _seal(os.urandom(3 * CHUNK), key)
    with pytest.raises(crypto.DecryptionError, match="wrong length"):
        _open(key, [segments[0], segments[1][:-1], *segments[2:]])


def test_decrypt_yields_nothing_from_a_chunk_before_it_is_authenticated(key):
    segments = _seal(os.urandom(3 * CHUNK), key)
    damaged = [*segments[:2], segments[2][:-1] + bytes([segments[2][-1] ^ 1]), segments[3]]
    opened = crypto.decrypt_chunks(key, damaged)
    assert len(next(opened)) == CHUNK
    with pytest.raises(crypto.DecryptionError, match="chunk 1"):
        next(opened)


def test_encrypt_refuses_bad_chunk_size(key):
    with pytest.raises(ValueError, match="chunk size"):
        list(crypto.encrypt_chunks(key, [b"x"], chunk_size=0))


@pytest.mark.parametrize("size", [0, 1, CHUNK, 3 * CHUNK, 3 * CHUNK + 9])
def test_file_helpers_round_trip(key, size):
    data = os.urandom(size)
    sealed = io.BytesIO()
    assert crypto.encrypt_file(key, io.BytesIO(data), sealed, chunk_size=CHUNK) == size
    assert len(sealed.getvalue()) == crypto.HEADER_BYTES + size + crypto.TAG_BYTES * max(1, -(-size // CHUNK))
    plain = io.BytesIO()
    assert crypto.decrypt_file(key, io.BytesIO(sealed.getvalue()), plain) == size
    assert plain.getvalue() == data


def test_file_format_is_the_concatenated_segments(key):
    data = os.urandom(3 * CHUNK + 1)
    joined = b"".join(_seal(data, key))
    segments = list(crypto.read_segments(io.BytesIO(joined)))
    assert _open(key, segments) == data
    assert crypto.decrypt_file(key, io.BytesIO(joined), io.BytesIO()) == len(data)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda s: s[: crypto.HEADER_BYTES + 2 * (CHUNK + 16)], "truncated"),
        (lambda s: s + s[-(9 + 16):], "chunk 3 .* failed authentication"),
        (lambda s: s + s[crypto.HEADER_BYTES:crypto.HEADER_BYTES + CHUNK + 16], "chunk 3 .* failed"),
        (lambda s: s[:40] + bytes([s[40] ^ 1]) + s[41:], "failed authentication"),
        (lambda s: s[:crypto.HEADER_BYTES], "no chunks"),
        (lambda s: s[:10], "header is missing"),
    ],
)
def test_decrypt_file_fails_on_damage(key, damage, expected):
    sealed = io.BytesIO()
    crypto.encrypt_file(key, io.BytesIO(os.urandom(3 * CHUNK + 9)), sealed, chunk_size=CHUNK)
    with pytest.raises(crypto.DecryptionError, match=expected):
        crypto.decrypt_file(key, io.BytesIO(damage(sealed.getvalue())), io.BytesIO())


def test_decrypt_file_fails_with_wrong_key(key):
    sealed = io.BytesIO()
    crypto.encrypt_file(key, io.BytesIO(b"x" * 100), sealed, chunk_size=CHUNK)
    with pytest.raises(crypto.DecryptionError, match="key is not the one"):
        crypto.decrypt_file(crypto.new_data_key(), io.BytesIO(sealed.getvalue()), io.BytesIO())
