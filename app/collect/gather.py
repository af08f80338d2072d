"""One source's part of a gather: the body of the ``collect.run_source`` job.

A job's bookkeeping is two transactions, each one commit:

1. the claim, by the runner: the ``Job`` row and, through ``claim_run`` (the
   task's ``on_claim``), the source run marked running, so staff see the
   source running and a worker killed mid-job leaves both running for the
   repair (``flask jobs repair`` fails the job as abandoned, then
   ``services.resume_abandoned`` queues the source again). Run inline, the
   gather's jobs share one claim (``app.jobs.runner.run_inline_many``);
2. the work: the match read (one statement: a few columns of the case, the
   organisations it covers and its confirmed records; never the whole
   sealed case row), the source collected, its items built and sealed, then
   (``_store``) the case row locked, the run closed (counting the runs still
   to do), its items replaced (one DELETE, one multi-row INSERT), and by the
   last job only the case moved to in review. The runner's "succeeded" mark
   rides in the same commit.

Idempotent: the source's items for the case are replaced in one transaction,
so running it twice leaves the same items once. A failure marks the run
``failed`` (never done) with the exception's type only, and the job fails
too. When the last run of the case is done, the case moves from gathering to
in review exactly once: the finishing jobs take turns on the case row's lock
and count after taking it, so of two jobs finishing together the second
sees the first's run done.

Both transactions commit asynchronously on PostgreSQL (``app.jobs``
``relax_commit``; for the work, the statement marking the job succeeded
asks for it): a gather is idempotent, and a commit lost in a database
crash is redone. A lost claim leaves the job queued (``redispatch_stale``
sends it again); a lost work commit leaves the job and run running
(``fail_abandoned`` then ``resume_abandoned`` run it again). The one
transaction that records an audit event, the last job's move of the case to
review, stays durable (``durable_commit``); WAL is flushed in order,
so that commit makes every earlier job's durable too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    LargeBinary,
    and_,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal_column,
    select,
    table,
    update,
)

from app.accounts.models import User
from app.cases import lifecycle
from app.cases.models import Case, CaseStatus
from app.collect.identity import SUBJECT, match_for
from app.collect.models import CaseCandidate, CollectedItem, Decision, RunStatus, SourceRun
from app.crypto import current_keyring
from app.db import EncryptedText, new_uuid, utcnow
from app.extensions import db
from app.jobs import JobError, current_job, durable_commit
from app.orgs.services import covered_ids_column, parse_covered_ids
from app.sources import registry
from app.sources.protocol import Item

GATHER_TASK = "collect.run_source"
# Collecting may go on while a question to the requester is open (the data
# does not change with the answer), and a done source may be collected again
# while the case is in review.
_COLLECTABLE = frozenset({CaseStatus.GATHERING, CaseStatus.PAUSED, CaseStatus.IN_REVIEW})
_KEY_LENGTH = 200
_FAILED_MESSAGE = "The source could not be collected. Retry it; if it fails again, see the job log."

# The items table as the gather writes it: the sealed columns take bytes
# sealed by ``_rows`` (the whole batch under one keyring lookup), not text for
# ``EncryptedText`` to seal value by value. The other columns keep their types.
_ITEM_COLUMNS = CollectedItem.__table__.columns
_SEALED = {c.name: c.type.purpose for c in _ITEM_COLUMNS if isinstance(c.type, EncryptedText)}
_ITEMS_SEALED = table(
    "collected_items",
    *(column(c.name, LargeBinary() if c.name in _SEALED else c.type) for c in _ITEM_COLUMNS),
)
_TITLE_PURPOSE = _SEALED["title"]
_DATA_PURPOSE = _SEALED["data"]


class GatherError(JobError):
    """A gather job that cannot run; the message holds ids and codes only."""


class _NotCollectable(Exception):
    pass


def claim_run(case_id: uuid.UUID, source_name: str) -> uuid.UUID | None:
    """Mark the source's run running (one more attempt, by the current job);
    its id, or None when the case has no run for the source. The caller
    commits: the runner, together with its claim of the job."""
    job = current_job()
    return db.session.execute(
        _CLAIM_RUN,
        {
            "run_case": case_id,
            "run_source": source_name,
            "now": utcnow(),
            "run_job": job.job_id if job is not None else None,
        },
    ).scalar_one_or_none()


def run_source(case_id: uuid.UUID, source_name: str) -> int:
    """Collect one source for the case; returns the number of items stored.

    As the gather job, the runner has claimed the run (``claim_run``) and
    commits the work with the job's own mark. Called directly (a script, a
    test), it claims and commits by itself, in the same two steps.
    """
    session = db.session
    job = current_job()
    in_job = job is not None and job.name == GATHER_TASK
    if in_job:
        run_id = job.claimed  # type: ignore[union-attr]  (in_job: there is a job)
    else:
        run_id = claim_run(case_id, source_name)
        session.commit()  # so staff see the source running
    if run_id is None:
        raise GatherError(f"case {case_id} has no run for source {source_name}")
    try:
        count = _collect_and_store(case_id, source_name, run_id)
    except _NotCollectable:
        session.rollback()
        _mark_failed(run_id, "case_not_gathering", "The case is no longer being gathered.")
        raise GatherError(f"case {case_id} is not being gathered") from None
    except Exception as exc:
        session.rollback()
        _mark_failed(run_id, type(exc).__name__, _FAILED_MESSAGE)
        raise
    if not in_job:
        session.commit()
    return count


def _collect_and_store(case_id: uuid.UUID, source_name: str, run_id: uuid.UUID) -> int:
    session = db.session
    found = session.execute(_MATCH_ROWS, {"case_id": case_id}).all()
    if not found or found[0].status not in _COLLECTABLE:
        raise _NotCollectable
    first = found[0]
    match = match_for(
        parse_covered_ids(first.covered_ids),
        [(row.kind, row.record_id, row.summary) for row in found if row.record_id is not None],
        requester_relationship=first.requester_relationship,
        requester_email=first.requester_email,
    )
    source = registry.get_source(source_name)
    # No progress reports: each is a write in its own transaction, and one
    # source takes milliseconds; the run row's status is the progress shown.
    rows = _rows(case_id, source_name, source.collect(session, match), utcnow())
    return _store(case_id, source_name, run_id, rows)


def _store(case_id: uuid.UUID, source_name: str, run_id: uuid.UUID, rows: list[dict[str, Any]]) -> int:
    """Close the run, replace its items and, for the last run of the case,
    move the case to review: four statements, five for the last job.

    The case row is locked first (``FOR NO KEY UPDATE``: the item inserts'
    foreign key takes a key-share lock on it, which ``FOR UPDATE`` would
    conflict with), so finishing jobs take turns, and each one's count of
    the runs still to do is read after the previous one committed: of two
    jobs finishing together, the second sees the first's run done, and the
    case moves once. Closing the run locks its row in turn, so two runs of
    one source (a worker thought dead that was not) replace the items one
    after the other, never interleaved. Case, then run: the order
    ``services`` takes them in, too.
    """
    session = db.session
    status = session.execute(_LOCK_CASE, {"case_id": case_id}).scalar()
    if status not in _COLLECTABLE:  # withdrawn, say, since the match was read
        raise _NotCollectable
    pending, runs = session.execute(_CLOSE_RUN, {"run_id": run_id, "items": len(rows), "now": utcnow()}).one()
    session.execute(_DELETE_ITEMS, {"case_id": case_id, "source": source_name})
    if rows:
        # One executemany (one round trip), however many items.
        session.execute(_INSERT_ITEMS, rows)
    if status is CaseStatus.GATHERING and not pending:
        _move_to_review(case_id, runs, None)
    return len(rows)


def _rows(case_id: uuid.UUID, source_name: str, items: Iterable[Item], now: datetime) -> list[dict[str, Any]]:
    """Insert parameters for the items, title and data sealed; a key given
    twice keeps the last."""
    by_key: dict[str, Item] = {}
    for item in items:
        if not isinstance(item, Item):
            raise GatherError(f"source {source_name} gave something that is not an Item")
        # Prefixed with the source, so two sources' keys can never collide.
        key = f"{source_name}/{item.key}"
        if len(key) > _KEY_LENGTH:
            raise GatherError(f"source {source_name} gave an item key longer than {_KEY_LENGTH}")
        by_key[key] = item
    seal = current_keyring().seal
    dumps = json.JSONEncoder(default=str, sort_keys=True, ensure_ascii=False).encode
    return [
        {
            "id": new_uuid(),
            "case_id": case_id,
            "source": source_name,
            "category": item.category,
            "key": key,
            "title": seal(item.title.encode("utf-8"), _TITLE_PURPOSE),
            "occurred_on": item.occurred_on,
            "data": seal(dumps(item.data).encode("utf-8"), _DATA_PURPOSE),
            "collected_at": now,
        }
        for key, item in by_key.items()
    ]


def finish_case_if_complete(case: Case, actor: User | None = None) -> bool:
    """Move the case to in review when every source is done; True if moved.
    For ``services.complete_gather`` (the jobs see to it themselves as they
    store, see ``_store``): the case row locked, then the runs counted."""
    session = db.session
    if session.execute(_LOCK_CASE, {"case_id": case.id}).scalar() is not CaseStatus.GATHERING:
        return False
    runs, pending = session.execute(_COUNT_RUNS, {"case_id": case.id}).one()
    if not runs or pending:
        return False
    _move_to_review(case.id, runs, actor)
    return True


def _move_to_review(case_id: uuid.UUID, runs: int, actor: User | None) -> None:
    # The case row is locked by the caller; loaded (or refreshed) only now.
    case = db.session.get(Case, case_id, populate_existing=True)
    assert case is not None  # locked by the caller
    lifecycle.move(case, CaseStatus.IN_REVIEW, actor, data={"sources": runs})
    # An audit event and the case's move: this commit waits for the disk.
    durable_commit()


def _mark_failed(run_id: uuid.UUID, code: str, message: str) -> None:
    session = db.session
    finished = utcnow()
    session.execute(
        update(_SR)
        .where(_SR.c.id == run_id)
        .values(
            status=RunStatus.FAILED,
            error_code=code[:80],
            error_message=message,
            finished_at=finished,
            updated_at=finished,
        )
    )
    session.commit()


# The job's statements, built once: executing a prebuilt Core statement skips
# building it and computing its cache key, and its rows skip the ORM.
_SR, _CASES, _CANDIDATES = SourceRun.__table__, Case.__table__, CaseCandidate.__table__
_NOW = bindparam("now", type_=_SR.c.updated_at.type)
_CLAIM_RUN = (
    update(_SR)
    .where(_SR.c.case_id == bindparam("run_case"), _SR.c.source == bindparam("run_source"))
    .values(
        status=RunStatus.RUNNING,
        attempt=_SR.c.attempt + 1,
        started_at=_NOW,
        finished_at=None,
        error_code=None,
        error_message=None,
        item_count=None,
        updated_at=_NOW,
        job_id=func.coalesce(bindparam("run_job", type_=_SR.c.job_id.type), _SR.c.job_id),
    )
    .returning(_SR.c.id)
)
# The case's few columns the match needs (never the whole sealed row), the
# organisations it covers and its confirmed subject records, in one
# statement: a row per record (one with NULLs when there is none).
_MATCH_ROWS = (
    select(
        _CASES.c.status,
        covered_ids_column(_CASES.c.organisation_id).label("covered_ids"),
        _CASES.c.requester_relationship,
        _CASES.c.requester_email,
        _CANDIDATES.c.kind,
        _CANDIDATES.c.record_id,
        _CANDIDATES.c.summary,
    )
    .select_from(
        _CASES.outerjoin(
            _CANDIDATES,
            and_(
                _CANDIDATES.c.case_id == _CASES.c.id,
                _CANDIDATES.c.decision == Decision.CONFIRMED,
                _CANDIDATES.c.about == SUBJECT,
            ),
        )
    )
    .where(_CASES.c.id == bindparam("case_id"))
)
# The runs of the case not done but this one, and all of them, as this
# statement finds them. Written out because SQLAlchemy renders a correlated
# subquery in SQLite's RETURNING without its table names.
assert RunStatus.DONE.value == "done"  # spelled out below
_OTHERS_PENDING = literal_column(
    "(SELECT count(*) FROM source_runs AS other WHERE other.case_id = source_runs.case_id"
    " AND other.status <> 'done' AND other.id <> source_runs.id)"
)
_ALL_RUNS = literal_column(
    "(SELECT count(*) FROM source_runs AS other WHERE other.case_id = source_runs.case_id)"
)
_CLOSE_RUN = (
    update(_SR)
    .where(_SR.c.id == bindparam("run_id"))
    .values(status=RunStatus.DONE, item_count=bindparam("items"), finished_at=_NOW, updated_at=_NOW)
    .returning(_OTHERS_PENDING, _ALL_RUNS)
)
_ITEMS = CollectedItem.__table__
_DELETE_ITEMS = delete(_ITEMS).where(
    _ITEMS.c.case_id == bindparam("case_id"), _ITEMS.c.source == bindparam("source")
)
_INSERT_ITEMS = insert(_ITEMS_SEALED)
_LOCK_CASE = (
    select(_CASES.c.status).where(_CASES.c.id == bindparam("case_id")).with_for_update(key_share=True)
)
_COUNT_RUNS = select(func.count(), func.count().filter(_SR.c.status != RunStatus.DONE)).where(
    _SR.c.case_id == bindparam("case_id")
)
