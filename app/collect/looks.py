"""Reading what the collector holds, for the console and the API alike.

Every look at personal data (the candidate records, the collected items) is
recorded twice in the same transaction: an audit event with ids and counts
only, and one access-log line per person record looked at, naming the staff
user, so that the person's own later request shows who saw their data. The
gather's progress carries no personal data and is not logged.

Who looked is told by the line's kind of actor (``actor_kind_for``): a
school's own staff with a console account looked as the school's user
("school_user", as the school's own systems log them), never as the
company's data protection staff ("rights_desk"). The person's later access
request discloses the log, so the kind must say whose staff it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from app.accounts.models import Role, User
from app.audit.services import record
from app.cases.models import Case
from app.collect.identity import SUBJECT
from app.collect.models import CaseCandidate, CollectedItem, Decision, RunStatus, SourceRun
from app.collect.services import candidates_for, run_failed, runs_for
from app.db import new_uuid, utcnow
from app.extensions import db
from app.jobs import Job
from app.sources import registry
from app.sources.access_log.models import AccessLogEntry
from app.sources.correspondence.models import PersonKind as LoggedKind

# ``AccessLogEntry.actor_kind`` for staff of this service (the company's
# data protection staff), and for a school's own staff signed in to it.
ACTOR_KIND = "rights_desk"
SCHOOL_USER = "school_user"
CANDIDATES_AREA = "rights_desk.candidates"
ITEMS_AREA = "rights_desk.collected_items"


def actor_kind_for(user: User) -> str:
    """The access log's kind of actor for a signed-in user's look or
    download: a school's own staff as the school's user, the rest (admins,
    caseworkers) as the company's data protection staff."""
    return SCHOOL_USER if user.role is Role.SCHOOL else ACTOR_KIND


def log_look(user: User, case: Case, people: Iterable[CaseCandidate], area: str, shown: int) -> None:
    """The audit event and access-log lines for one look; the caller commits."""
    logged = write_access_log(
        people,
        actor_kind=actor_kind_for(user),
        actor_name=user.name,
        actor_email=user.email,
        action="view",
        area=area,
    )
    record(
        "collect.viewed",
        actor_type="user",
        actor_id=user.id,
        object_type="case",
        object_id=case.id,
        data={"area": area, "shown": shown, "people": logged},
    )


def write_access_log(
    people: Iterable[CaseCandidate],
    *,
    actor_kind: str,
    actor_name: str,
    actor_email: str | None,
    action: str,
    area: str,
) -> int:
    """One access-log line per person record (a record listed twice is
    logged once), all at this moment; returns how many. The caller commits,
    with the audit event that goes with them."""
    now = utcnow()
    rows = [
        {
            "id": new_uuid(),
            "organisation_id": person.organisation_id,
            "occurred_at": now,
            "actor_kind": actor_kind,
            "actor_name": actor_name,
            "actor_email": actor_email,
            "person_kind": LoggedKind(person.kind.value),
            "person_id": person.record_id,
            "action": action,
            "area": area,
        }
        for person in {(p.kind, p.record_id): p for p in people}.values()
    ]
    if rows:
        db.session.execute(insert(AccessLogEntry), rows)
    return len(rows)


def view_candidates(user: User, case: Case) -> Sequence[CaseCandidate]:
    """The case's candidate records, logged as looked at by ``user``."""
    candidates = candidates_for(case)
    log_look(user, case, candidates, CANDIDATES_AREA, len(candidates))
    return candidates


def subject_records(case: Case) -> Sequence[CaseCandidate]:
    """The records confirmed as the subject's: whose data the case gathers
    and the response discloses (a requester's records only show authority)."""
    return db.session.scalars(
        select(CaseCandidate).where(
            CaseCandidate.case_id == case.id,
            CaseCandidate.decision == Decision.CONFIRMED,
            CaseCandidate.about == SUBJECT,
        )
    ).all()


@dataclass(frozen=True)
class ItemGroup:
    category: str
    items: list[CollectedItem]


def view_items(user: User, case: Case) -> list[ItemGroup]:
    """The collected items by category (then date), logged as a look at
    every record confirmed as the subject's."""
    items = db.session.scalars(
        select(CollectedItem)
        .where(CollectedItem.case_id == case.id)
        .order_by(CollectedItem.category, CollectedItem.occurred_on, CollectedItem.key)
    ).all()
    log_look(user, case, subject_records(case), ITEMS_AREA, len(items))
    groups: dict[str, list[CollectedItem]] = {}
    for item in items:
        groups.setdefault(item.category, []).append(item)
    return [ItemGroup(category, grouped) for category, grouped in groups.items()]


@dataclass(frozen=True)
class SourceProgress:
    """One line of the "systems searched" checklist."""

    source: str
    title: str
    categories: tuple[str, ...]
    status: str  # not_started, queued, running, done or failed
    attempt: int
    item_count: int | None
    started_at: datetime | None
    finished_at: datetime | None
    error_code: str | None
    error_message: str | None

    @property
    def failed(self) -> bool:
        return self.status == RunStatus.FAILED.value


@dataclass(frozen=True)
class GatherProgress:
    case_id: uuid.UUID
    case_status: str
    sources: list[SourceProgress]

    @property
    def finished(self) -> bool:
        return bool(self.sources) and all(s.status == RunStatus.DONE.value for s in self.sources)

    @property
    def active(self) -> bool:
        return any(s.status in (RunStatus.QUEUED.value, RunStatus.RUNNING.value) for s in self.sources)

    @property
    def item_count(self) -> int:
        return sum(s.item_count or 0 for s in self.sources)


def gather_progress(case: Case) -> GatherProgress:
    """Every source, with its run's status, counts and times (a run whose
    worker died is shown as failed once the jobs repair has noticed)."""
    runs = {run.source: run for run in runs_for(case)}
    job_ids = [run.job_id for run in runs.values() if run.job_id]
    jobs = (
        {job.id: job for job in db.session.scalars(select(Job).where(Job.id.in_(job_ids)))} if job_ids else {}
    )
    lines = []
    for source in registry.all_sources():
        run = runs.pop(source.name, None)
        lines.append(_line(source.name, source.title, tuple(source.categories), run, jobs))
    for name, run in sorted(runs.items()):  # a run of a source since retired stays listed
        lines.append(_line(name, name, (), run, jobs))
    return GatherProgress(case.id, case.status.value, lines)


def _line(
    name: str, title: str, categories: tuple[str, ...], run: SourceRun | None, jobs: dict
) -> SourceProgress:
    if run is None:
        return SourceProgress(name, title, categories, "not_started", 0, None, None, None, None, None)
    job = jobs.get(run.job_id) if run.job_id else None
    failed = run_failed(run, job)
    abandoned = failed and run.status is not RunStatus.FAILED
    return SourceProgress(
        source=name,
        title=title,
        categories=categories,
        status=RunStatus.FAILED.value if failed else run.status.value,
        attempt=run.attempt,
        item_count=run.item_count,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error_code="abandoned" if abandoned else run.error_code,
        error_message="The worker running this source stopped before it finished."
        if abandoned
        else run.error_message,
    )
