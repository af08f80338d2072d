"""Task functions for the jobs tests.

Defined in an importable module (not a test file) so that a ``flask worker``
subprocess can import it by name, as it would any application task module.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, text, update

from app.audit.services import record
from app.extensions import db
from app.jobs import Job, JobError, current_job, durable_commit, enqueue, report_progress, task

# In-process only: how many times ``test.flaky`` has run, per object id.
flaky_runs: dict[uuid.UUID, int] = {}
received: list[tuple] = []


class ReportedFailure(JobError):
    pass


@task("test.audit")
def audit_task(object_id: uuid.UUID, label: str = "plain") -> None:
    """Writes an audit event: proof that the task ran and its work committed."""
    report_progress(50, "halfway")
    record("test.job_ran", object_type="job_test", object_id=object_id, data={"label": label})


@task("test.fail")
def failing_task(object_id: uuid.UUID) -> None:
    report_progress(30, "before failing")
    record("test.job_ran", object_type="job_test", object_id=object_id)
    raise RuntimeError("boom: something broke\nsecond line with detail")


@task("test.leaky")
def leaky_task() -> None:
    # The kind of message a careless task might raise.
    raise ValueError("jane.smith@example.org has no pupil record")


@task("test.reported")
def reported_failure_task(object_id: uuid.UUID) -> None:
    raise ReportedFailure(f"source 3 of 7 unreachable for {object_id}")


@task("test.flaky")
def flaky_task(object_id: uuid.UUID) -> None:
    flaky_runs[object_id] = flaky_runs.get(object_id, 0) + 1
    if flaky_runs[object_id] == 1:
        raise ConnectionError("first attempt fails")
    record("test.job_ran", object_type="job_test", object_id=object_id)


@task("test.echo")
def echo_task(*args, **kwargs) -> None:
    received.append((args, kwargs))


@task("test.progress_probe")
def progress_probe_task() -> None:
    """Reports progress, then reads it back on another connection: it must
    be visible while the job is still running."""
    context = current_job()
    assert context is not None
    report_progress(40, "probe")
    with db.engine.connect() as connection:
        row = connection.execute(
            select(Job.progress, Job.progress_message, Job.status).where(Job.id == context.job_id)
        ).one()
    if (row.progress, row.progress_message, row.status) != (40, "probe", "running"):
        raise AssertionError(f"progress not visible while running: {tuple(row)}")


@task("test.write_then_progress")
def write_then_progress_task(object_id: uuid.UUID) -> None:
    record("test.job_ran", object_type="job_test", object_id=object_id)
    report_progress(60, "after a write")


@task("test.chain")
def chain_task(object_id: uuid.UUID) -> None:
    enqueue("test.audit", object_id, label="child")
    db.session.flush()


# ``test.claimed``: what its ``on_claim`` and the task itself saw, in order.
claims_seen: list[tuple] = []


def _claim_probe(object_id: uuid.UUID, fail: bool = False) -> str:
    """The ``on_claim`` of ``test.claimed``: runs in the claiming
    transaction; marks the job so others can see the claim committed."""
    if fail:
        raise RuntimeError("claim refused")
    context = current_job()
    assert context is not None
    db.session.execute(update(Job).where(Job.id == context.job_id).values(progress_message="claimed"))
    claims_seen.append(("claim", object_id, synchronous_commit()))
    return f"claimed {object_id}"


def synchronous_commit() -> str | None:
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    return db.session.execute(text("SHOW synchronous_commit")).scalar()


@task("test.claimed", on_claim=_claim_probe, async_commit=True)
def claimed_task(object_id: uuid.UUID, fail: bool = False) -> None:
    """Records what its claim returned, and what other connections see of
    its job and of every ``test.claimed`` job: all claimed before any runs."""
    context = current_job()
    assert context is not None
    with db.engine.connect() as connection:
        others = connection.execute(
            select(Job.status, Job.progress_message).where(Job.name == "test.claimed")
        ).all()
    claims_seen.append(("run", object_id, context.claimed, sorted(map(tuple, others)), synchronous_commit()))
    record("test.job_ran", object_type="job_test", object_id=object_id)
    if object_id in durable_ids:
        durable_commit()
        claims_seen.append(("durable", object_id, synchronous_commit()))


# Ids whose ``test.claimed`` run asks for a durable commit.
durable_ids: set[uuid.UUID] = set()
