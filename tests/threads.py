"""Running test work in real concurrent threads (PostgreSQL concurrency tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def run_together(work: Callable[[T], object], inputs: Sequence[T], *, timeout: float = 60) -> list[object]:
    """``work(input)`` for every input, each in a thread of its own, all
    started at once; waits for them and fails the test with every error a
    thread raised. Returns their results in the order of ``inputs``."""
    results: list[object] = [None] * len(inputs)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = work(inputs[index])
        except BaseException as exc:  # reported by the calling thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(inputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not errors, errors
    return results
