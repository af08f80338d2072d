"""One source's part of a gather: the body of the ``collect.run_source`` job.

Idempotent: the source's items for the case are replaced in one transaction
(delete, then one bulk insert), so running it twice leaves the same items
once. The run's status is committed as ``running`` first, so staff see it;
a failure marks the run ``failed`` (never done) with the exception's type
only, and the job fails too. When the last run of the case is done, the
case moves from gathering to in review exactly once: the finishing job locks
the case row before counting, so of two jobs finishing together the second
sees the first's commit.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select

from app.accounts.models import User
from app.cases import lifecycle
from app.cases.models import Case, CaseStatus
from app.collect.identity import match_from, organisations_of
from app.collect.models import CaseCandidate, CollectedItem, Decision, RunStatus, SourceRun
from app.db import new_uuid, utcnow
from app.extensions import db
from app.jobs import JobError, current_job
from app.sources import registry
from app.sources.protocol import Item

GATHER_TASK = "collect.run_source"
# Collecting may go on while a question to the requester is open (the data
# does not change with the answer), and a done source may be collected again
# while the case is in review.
_COLLECTABLE = frozenset({CaseStatus.GATHERING, CaseStatus.PAUSED, CaseStatus.IN_REVIEW})
_KEY_LENGTH = 200
_FAILED_MESSAGE = "The source could not be collected. Retry it; if it fails again, see the job log."


class GatherError(JobError):
    """A gather job that cannot run; the message holds ids and codes only."""


def run_source(case_id: uuid.UUID, source_name: str) -> int:
    """Collect one source for the case; returns the number of items stored."""
    session = db.session
    run = session.scalars(
        select(SourceRun).where(SourceRun.case_id == case_id, SourceRun.source == source_name)
    ).one_or_none()
    if run is None:
        raise GatherError(f"case {case_id} has no run for source {source_name}")
    run_id = run.id
    case = session.get(Case, case_id)
    if case is None or case.status not in _COLLECTABLE:
        _mark_failed(run_id, "case_not_gathering", "The case is no longer being gathered.")
        raise GatherError(f"case {case_id} is not being gathered")
    job = current_job()
    run.status = RunStatus.RUNNING
    run.attempt += 1
    run.started_at = utcnow()
    run.finished_at = None
    run.error_code = run.error_message = None
    run.item_count = None
    if job is not None:
        run.job_id = job.job_id
    run.updated_at = utcnow()
    session.commit()
    try:
        count = _collect_and_store(case_id, source_name, run_id)
    except Exception as exc:
        session.rollback()
        _mark_failed(run_id, type(exc).__name__, _FAILED_MESSAGE)
        raise
    return count


def _collect_and_store(case_id: uuid.UUID, source_name: str, run_id: uuid.UUID) -> int:
    session = db.session
    case = session.get(Case, case_id)
    assert case is not None  # checked by the caller in this job
    source = registry.get_source(source_name)
    candidates = session.scalars(
        select(CaseCandidate).where(
            CaseCandidate.case_id == case_id, CaseCandidate.decision == Decision.CONFIRMED
        )
    ).all()
    match = match_from(case, organisations_of(case), candidates)
    # No progress reports: each is a write in its own transaction, and one
    # source takes milliseconds; the run row's status is the progress shown.
    now = utcnow()
    rows = _rows(case_id, source_name, source.collect(session, match), now)
    # Locking the run first makes two runs of one source (a worker thought
    # dead that was not) replace the items one after the other, never interleaved.
    run = session.get(SourceRun, run_id, with_for_update=True, populate_existing=True)
    assert run is not None
    session.execute(
        delete(CollectedItem).where(CollectedItem.case_id == case_id, CollectedItem.source == source_name)
    )
    if rows:
        # One executemany (batched multi-row INSERTs), however many items.
        session.execute(insert(CollectedItem), rows)
    run.status = RunStatus.DONE
    run.item_count = len(rows)
    run.finished_at = utcnow()
    run.updated_at = run.finished_at
    finish_case_if_complete(case)
    session.commit()
    return len(rows)


def _rows(case_id: uuid.UUID, source_name: str, items: Iterable[Item], now: datetime) -> list[dict[str, Any]]:
    """Insert parameters for the items; a key given twice keeps the last."""
    by_key: dict[str, dict[str, Any]] = {}
    for item in items:
        if not isinstance(item, Item):
            raise GatherError(f"source {source_name} gave something that is not an Item")
        # Prefixed with the source, so two sources' keys can never collide.
        key = f"{source_name}/{item.key}"
        if len(key) > _KEY_LENGTH:
            raise GatherError(f"source {source_name} gave an item key longer than {_KEY_LENGTH}")
        by_key[key] = {
            "id": new_uuid(),
            "case_id": case_id,
            "source": source_name,
            "category": item.category,
            "key": key,
            "title": item.title,
            "occurred_on": item.occurred_on,
            "data_json": json.dumps(item.data, default=str, sort_keys=True, ensure_ascii=False),
            "collected_at": now,
        }
    return list(by_key.values())


def finish_case_if_complete(case: Case, actor: User | None = None) -> bool:
    """Move the case to in review when every source is done. The row lock
    serialises finishing jobs, and the re-read status makes the move once.

    ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: each job's item inserts hold a
    key-share lock on the case row (the foreign key), which ``FOR UPDATE``
    would wait on, so two finishing jobs would deadlock on each other.
    """
    session = db.session
    locked = session.scalars(
        select(Case)
        .where(Case.id == case.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).one()
    if locked.status is not CaseStatus.GATHERING:
        return False
    counts = dict(
        session.execute(
            select(SourceRun.status, func.count())
            .where(SourceRun.case_id == case.id)
            .group_by(SourceRun.status)
        ).all()
    )
    if not counts or set(counts) != {RunStatus.DONE}:
        return False
    lifecycle.move(locked, CaseStatus.IN_REVIEW, actor, data={"sources": counts[RunStatus.DONE]})
    return True


def _mark_failed(run_id: uuid.UUID, code: str, message: str) -> None:
    session = db.session
    run = session.get(SourceRun, run_id)
    if run is None:
        return
    run.status = RunStatus.FAILED
    run.error_code = code[:80]
    run.error_message = message
    run.finished_at = utcnow()
    run.updated_at = run.finished_at
    session.commit()
