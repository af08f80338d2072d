"""What the DPO does to find and gather a subject's data.

``propose_candidates`` asks every person store who the subject may be;
``decide_candidate`` confirms or rejects each record; ``start_gather``
moves the case to gathering and queues one job per source (after the
commit, ids only); ``retry_source`` queues a failed source again and
``resume_abandoned`` does so for sources whose worker died. The job body
itself is ``app.collect.gather.run_source``.

Like ``app.cases.services``, every function works in the caller's
transaction (the caller commits), moves a case only through the lifecycle,
and records audit events holding ids and codes only.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from sqlalchemy import func, inspect, select

from app.accounts.models import User
from app.audit.services import record
from app.cases import lifecycle
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseStatus
from app.collect import tasks  # noqa: F401  (registers the gather job)
from app.collect.gather import GATHER_TASK, finish_case_if_complete, run_source
from app.collect.identity import (
    SUBJECT,
    organisations_of,
    requester_identity,
    subject_identity,
)
from app.collect.models import CaseCandidate, Decision, RunStatus, SourceRun
from app.collect.searched import GATHERED_BY_ADDRESS, SEARCHED_STORES, held_under_own_email
from app.db import new_uuid, utcnow
from app.extensions import db
from app.jobs import Job, JobStatus, enqueue, enqueue_many, repair, retry
from app.sources import registry
from app.sources.protocol import Candidate
from app.sources.validation import FieldError

__all__ = [
    "FieldError",
    "IllegalTransition",
    "complete_gather",
    "decide_candidate",
    "propose_candidates",
    "resume_abandoned",
    "retry_source",
    "run_source",
    "start_gather",
]

# Matches are found and confirmed before the gather starts; afterwards the
# confirmed set is what every source job reads, so it must not change.
_MATCHING_STATUSES = frozenset({CaseStatus.OPEN})
# A source can be collected again while the case is still being gathered.
_RETRY_STATUSES = frozenset({CaseStatus.GATHERING, CaseStatus.PAUSED})


_audit = lifecycle.audit_case


def locked(case: Case) -> Case:
    """The case row locked for this transaction (PostgreSQL), re-read so a
    concurrent change is seen rather than overwritten. ``FOR NO KEY
    UPDATE``, like the gather jobs (see ``gather._store``)."""
    # The id from the identity map: after the caller's commit every attribute
    # of ``case`` is expired, and reading ``case.id`` would fetch (and open)
    # the whole sealed row once more before this query reads it again.
    identity = inspect(case).identity
    case_id = identity[0] if identity else case.id
    query = (
        select(Case)
        .where(Case.id == case_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(query).one()


def candidates_for(case: Case) -> Sequence[CaseCandidate]:
    """Subject records first, strongest first."""
    query = (
        select(CaseCandidate)
        .where(CaseCandidate.case_id == case.id)
        .order_by(CaseCandidate.about.desc(), CaseCandidate.score.desc(), CaseCandidate.id)
    )
    return db.session.scalars(query).all()


def propose_candidates(case: Case, actor: User | None = None) -> list[CaseCandidate]:
    """Search every person store for the subject, whatever role the request
    gives (and the requester acting for them, among the stores of their
    role), within the case's organisations and store what was found.

    Searching again updates scores and reasons but keeps every decision
    already made; a proposal no longer found is dropped, a decided record
    is kept (the DPO's decision is part of the record of the case).
    """
    case = locked(case)
    if case.status not in _MATCHING_STATUSES:
        raise IllegalTransition(case, None, "records are matched while the case is open")
    organisation_ids = organisations_of(case)
    subject = subject_identity(case, organisation_ids)
    found = registry.find_all(db.session, subject, requester=requester_identity(case, organisation_ids))
    existing = {(row.source, row.record_id): row for row in candidates_for(case)}
    seen: set[tuple[str, uuid.UUID]] = set()
    for candidate in found:
        key = (candidate.source, candidate.record_id)
        # A record outside the case's organisations is never shown, whatever a source returns.
        if key in seen or candidate.organisation_id not in organisation_ids:
            continue
        seen.add(key)
        row = existing.get(key)
        if row is None:
            row = CaseCandidate(
                id=new_uuid(), case_id=case.id, decision=Decision.PROPOSED, created_at=utcnow()
            )
            db.session.add(row)
            existing[key] = row
        _fill(row, candidate)
    for key, row in list(existing.items()):
        if key not in seen and row.decision is Decision.PROPOSED:
            db.session.delete(row)
            del existing[key]
    db.session.flush()
    # The stores searched, kept with the search: the "we hold nothing" letter
    # lists exactly these (``app.collect.searched.search_of``).
    data = {"found": len(seen), SEARCHED_STORES: [source.name for source in registry.searched_for(subject)]}
    _audit("collect.candidates_proposed", case, actor, data)
    lifecycle.add_event(case, "candidates_proposed", actor, data)
    return list(candidates_for(case))


def _fill(row: CaseCandidate, candidate: Candidate) -> None:
    row.source = candidate.source
    row.kind = candidate.kind
    row.record_id = candidate.record_id
    row.organisation_id = candidate.organisation_id
    row.score = round(float(candidate.score), 4)
    row.reasons = list(candidate.reasons)
    row.about = candidate.about
    row.summary_json = json.dumps(candidate.summary, default=str, sort_keys=True)


def decide_candidate(case: Case, candidate_id: uuid.UUID, actor: User, confirm: bool) -> CaseCandidate:
    """Confirm a record as the subject's (or the requester's), or reject it.
    A decision can be changed until the gather starts. ``LookupError`` when
    the candidate is not this case's."""
    case = locked(case)
    candidate = db.session.get(CaseCandidate, candidate_id)
    if candidate is None or candidate.case_id != case.id:
        raise LookupError("no such candidate")
    if case.status not in _MATCHING_STATUSES:
        raise IllegalTransition(case, None, "records are confirmed while the case is open")
    candidate.decision = Decision.CONFIRMED if confirm else Decision.REJECTED
    candidate.decided_by_id = actor.id
    candidate.decided_at = utcnow()
    data = {"candidate": candidate.id, "source": candidate.source, "decision": candidate.decision.value}
    _audit("collect.candidate_decided", case, actor, data)
    lifecycle.add_event(case, "candidate_decided", actor, {"decision": candidate.decision.value})
    return candidate


NOTHING_TO_GATHER = (
    "confirm at least one record as the subject's before gathering (with none, an access, portability "
    "or erasure request of someone asking about themself is gathered by their own email address, "
    "when it finds something)"
)


def start_gather(case: Case, actor: User) -> list[SourceRun]:
    """Move the case to gathering and queue one job per source.

    Needs at least one record confirmed as the subject or, for a requester
    asking about themself, something held under their own confirmed address
    (a parent who wrote to the helpdesk has no record a school keeps, yet
    their messages are theirs to see). The jobs carry the case id and the
    source's name only, and are dispatched after the commit.
    """
    case = locked(case)
    if case.status is not CaseStatus.OPEN:
        raise IllegalTransition(case, CaseStatus.GATHERING, "a gather starts from an open case")
    confirmed = db.session.scalar(
        select(func.count())
        .select_from(CaseCandidate)
        .where(
            CaseCandidate.case_id == case.id,
            CaseCandidate.decision == Decision.CONFIRMED,
            CaseCandidate.about == SUBJECT,
        )
    )
    by_address = (
        [] if confirmed or case.request_type not in GATHERED_BY_ADDRESS else held_under_own_email(case)
    )
    if not confirmed and not by_address:
        raise FieldError("candidates", NOTHING_TO_GATHER)
    sources = registry.all_sources()
    existing = {run.source: run for run in runs_for(case)}
    # The jobs first (one INSERT), so each new run is written with its job's
    # id (one more INSERT) rather than inserted, then updated.
    jobs = enqueue_many(GATHER_TASK, [(case.id, source.name) for source in sources])
    now = utcnow()
    runs = []
    for source, job in zip(sources, jobs, strict=True):
        run = existing.get(source.name)
        if run is None:
            run = SourceRun(
                id=new_uuid(),
                case_id=case.id,
                source=source.name,
                status=RunStatus.QUEUED,
                attempt=0,
                job_id=job.id,
                created_at=now,
                updated_at=now,
            )
            db.session.add(run)
        else:
            _queue(run, job)
        runs.append(run)
    data: dict[str, object] = {"sources": len(runs), "records": confirmed}
    if by_address:
        data["by_address"] = [source.name for source in by_address]
    lifecycle.move(case, CaseStatus.GATHERING, actor, data=data)
    db.session.flush()
    return runs


def runs_for(case: Case) -> Sequence[SourceRun]:
    return db.session.scalars(
        select(SourceRun).where(SourceRun.case_id == case.id).order_by(SourceRun.source)
    ).all()


def _queue(run: SourceRun, job: Job) -> None:
    run.status = RunStatus.QUEUED
    run.job_id = job.id
    run.error_code = None
    run.error_message = None
    run.updated_at = utcnow()


def run_failed(run: SourceRun, job: Job | None) -> bool:
    """Whether the run has failed: marked so by its job, or left queued or
    running by a job the repair found abandoned (a killed worker cannot
    mark anything)."""
    if run.status is RunStatus.FAILED:
        return True
    return (
        run.status in (RunStatus.QUEUED, RunStatus.RUNNING)
        and job is not None
        and (job.status is JobStatus.FAILED)
    )


def retry_source(case: Case, actor: User | None, source_name: str) -> SourceRun:
    """Queue a failed source again (after the commit). ``LookupError`` for a
    source this case has no run of."""
    case = locked(case)
    run = db.session.scalars(
        select(SourceRun).where(SourceRun.case_id == case.id, SourceRun.source == source_name)
    ).one_or_none()
    if run is None:
        raise LookupError("no such source run")
    if case.status not in _RETRY_STATUSES:
        raise IllegalTransition(case, None, "sources are retried while the case is being gathered")
    job = db.session.get(Job, run.job_id) if run.job_id else None
    if not run_failed(run, job):
        raise IllegalTransition(case, None, f"the {source_name} source has not failed")
    if job is not None and job.status in (JobStatus.FAILED, JobStatus.QUEUED):
        _queue(run, retry(job.id))  # the same Job row, so its attempts add up
    else:
        _queue(run, enqueue(GATHER_TASK, case.id, source_name))
    _audit("collect.source_retried", case, actor, {"source": source_name})
    return run


def complete_gather(case: Case, actor: User) -> Case:
    """Move a gathered case on to review by hand. The last source job does
    this by itself; it cannot while the case is paused, so a case whose
    sources finished during a pause is moved on here once it resumes."""
    if not finish_case_if_complete(case, actor):
        raise IllegalTransition(case, CaseStatus.IN_REVIEW, "every source must be done while gathering")
    return case


def resume_abandoned() -> list[SourceRun]:
    """Queue again every source whose worker died mid-run: ``flask jobs
    repair`` marks such jobs failed as abandoned, and a gather's jobs are
    idempotent, so they are simply run again. The caller commits."""
    stuck = (
        select(SourceRun, Job)
        .join(Job, Job.id == SourceRun.job_id)
        .join(Case, Case.id == SourceRun.case_id)
        .where(
            SourceRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)),
            Case.status.in_(_RETRY_STATUSES),
        )
    )

    def audit(run: SourceRun, job: Job) -> None:
        data = {"source": run.source, "job": job.id}
        record("collect.source_resumed", object_type="case", object_id=run.case_id, data=data)

    return [run for run, _job in repair.resume_abandoned(stuck, audit, relink=_queue)]
