"""Reference numbers stay unique when confirmations race."""

from __future__ import annotations

import threading

from sqlalchemy import select

from app.cases.models import CaseReferenceCounter
from app.cases.references import looks_like_reference, next_reference
from app.extensions import db


def test_concurrent_reference_allocation_never_repeats_a_number(app, db_session):
    issued: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            with app.app_context():
                for _ in range(5):
                    reference = next_reference(2026)
                    db.session.commit()
                    with lock:
                        issued.append(reference)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(issued) == [f"SAR-2026-{number:06d}" for number in range(1, 31)]
    assert (
        db_session.scalar(select(CaseReferenceCounter.last_number).where(CaseReferenceCounter.year == 2026))
        == 30
    )


def test_reference_shape_is_checked_before_any_lookup():
    assert looks_like_reference("SAR-2026-000123")
    for value in ("sar-2026-000123", "SAR-26-1", "SAR-2026-000123/x", "SAR-2026-\x00", ""):
        assert not looks_like_reference(value)
