"""Throughput of the streaming blob encryption against raw AES-256-GCM.

    .venv/bin/python bench/crypto.py [--size-mib 1024] [--rounds 3]

Pushes ``--size-mib`` of data through ``encrypt_chunks`` and straight on into
``decrypt_chunks`` (so nothing is ever held whole), and, in the same run, the
same chunk buffers through bare ``AESGCM.encrypt``/``decrypt`` calls. Input is
a repeated random buffer, so generating it costs nothing. Each direction's
time is measured inside the generators; the best of ``--rounds`` is kept for
each side. The last line is one JSON object.

Throughput is in MB/s (10**6 bytes); peak RSS in MB (10**6 bytes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cryptography
from cryptography.hazmat.backends.openssl import backend
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app import crypto
from app.config import new_master_key_entry

POOL_CHUNKS = 8  # distinct random chunks, cycled


class Clock:
    """Accumulates the time spent inside one generator's ``next``."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, source: Iterator[bytes]) -> Iterator[bytes]:
        while True:
            start = time.perf_counter()
            try:
                item = next(source)
            except StopIteration:
                self.seconds += time.perf_counter() - start
                return
            self.seconds += time.perf_counter() - start
            yield item


def pieces(pool: memoryview, chunk: int, count: int) -> Iterator[memoryview]:
    for index in range(count):
        offset = (index % POOL_CHUNKS) * chunk
        yield pool[offset:offset + chunk]


def run_project(data_key: bytes, pool: memoryview, chunk: int, count: int) -> tuple[float, float]:
    """(encrypt seconds, decrypt seconds) through the project's stream API."""
    encrypt_clock, total_clock = Clock(), Clock()
    sealed = encrypt_clock.wrap(crypto.encrypt_chunks(data_key, pieces(pool, chunk, count), chunk_size=chunk))
    for _ in total_clock.wrap(crypto.decrypt_chunks(data_key, sealed)):
        pass
    # decrypt_chunks pulls from encrypt_chunks inside its own next().
    return encrypt_clock.seconds, total_clock.seconds - encrypt_clock.seconds


def check_round_trip(data_key: bytes, pool: memoryview, chunk: int, count: int) -> None:
    """Untimed: comparing inside the timed loop would evict the cache between chunks."""
    sealed = crypto.encrypt_chunks(data_key, pieces(pool, chunk, count), chunk_size=chunk)
    expected = pieces(pool, chunk, count)
    for index, plain in enumerate(crypto.decrypt_chunks(data_key, sealed)):
        if plain != next(expected):
            raise SystemExit(f"bench: chunk {index} did not round-trip")


def run_baseline(data_key: bytes, pool: memoryview, chunk: int, count: int) -> tuple[float, float]:
    """(encrypt seconds, decrypt seconds) of bare AESGCM calls on the same buffers."""
    aead = AESGCM(data_key)
    nonce, aad = os.urandom(12), os.urandom(16)
    encrypt_seconds = decrypt_seconds = 0.0
    clock = time.perf_counter
    for piece in pieces(pool, chunk, count):
        start = clock()
        sealed = aead.encrypt(nonce, piece, aad)
        middle = clock()
        aead.decrypt(nonce, sealed, aad)
        encrypt_seconds += middle - start
        decrypt_seconds += clock() - middle
    return encrypt_seconds, decrypt_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--chunk-bytes", type=int, default=crypto.DEFAULT_CHUNK_SIZE)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    chunk = args.chunk_bytes
    count = max(1, (args.size_mib << 20) // chunk)
    size = count * chunk
    pool = memoryview(os.urandom(chunk * POOL_CHUNKS))

    # The envelope as a blob gets it: a fresh data key, wrapped and unwrapped.
    keyring = crypto.Keyring.parse(new_master_key_entry("bench"))
    data_key = crypto.new_data_key()
    _, wrapped = keyring.wrap(data_key)
    data_key = keyring.unwrap(wrapped)

    check_round_trip(data_key, pool, chunk, count)
    best_project = best_baseline = (float("inf"), float("inf"))
    for _ in range(args.rounds):
        # Alternate, so drift in CPU speed or load hits both sides alike.
        baseline = run_baseline(data_key, pool, chunk, count)
        project = run_project(data_key, pool, chunk, count)
        best_baseline = min(best_baseline, baseline, key=sum)
        best_project = min(best_project, project, key=sum)

    mb = size / 1e6
    encrypt_mb_s, decrypt_mb_s = mb / best_project[0], mb / best_project[1]
    baseline_mb_s = 2 * mb / sum(best_baseline)
    ratio = sum(best_project) / sum(best_baseline)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6

    print(
        f"crypto bench: {size >> 20} MiB in {chunk}-byte chunks, best of {args.rounds} rounds; "
        f"Python {platform.python_version()}, cryptography {cryptography.__version__}, "
        f"{backend.openssl_version_text()}, {os.cpu_count()} CPUs"
    )
    print(
        f"baseline AESGCM : encrypt {mb / best_baseline[0]:8.0f} MB/s   "
        f"decrypt {mb / best_baseline[1]:8.0f} MB/s   both {baseline_mb_s:8.0f} MB/s"
    )
    print(
        f"stream (project): encrypt {encrypt_mb_s:8.0f} MB/s   "
        f"decrypt {decrypt_mb_s:8.0f} MB/s   both {2 * mb / sum(best_project):8.0f} MB/s"
    )
    encrypt_ratio, decrypt_ratio = (p / b for p, b in zip(best_project, best_baseline, strict=True))
    print(
        f"ratio (project time / baseline time): {ratio:.3f}  "
        f"(encrypt {encrypt_ratio:.3f}, decrypt {decrypt_ratio:.3f})"
    )
    print(f"peak RSS: {peak_rss_mb:.1f} MB")
    print(
        json.dumps(
            {
                "bench": "crypto",
                "ratio": round(ratio, 3),
                "encrypt_mb_s": round(encrypt_mb_s),
                "decrypt_mb_s": round(decrypt_mb_s),
                "baseline_mb_s": round(baseline_mb_s),
                "baseline_encrypt_mb_s": round(mb / best_baseline[0]),
                "baseline_decrypt_mb_s": round(mb / best_baseline[1]),
                "peak_rss_mb": round(peak_rss_mb, 1),
                "size_mib": size >> 20,
                "chunk_bytes": chunk,
                "rounds": args.rounds,
            }
        )
    )
    if peak_rss_mb >= 100:
        raise SystemExit(f"bench: peak RSS {peak_rss_mb:.1f} MB is over the 100 MB budget")


if __name__ == "__main__":
    main()
