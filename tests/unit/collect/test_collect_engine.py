"""The gather engine's failure, retry, re-run and resume paths, driven by
tiny in-test sources (``StubSource``, ``FailingOnceSource``) so each path can
be forced; the functional tests gather from the real stores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import event, func, select, text

from app.audit.models import AuditEvent
from app.cases import clock_changes
from app.cases import services as case_services
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseStatus
from app.collect import services
from app.collect.gather import run_source
from app.collect.looks import gather_progress
from app.collect.models import CollectedItem, Decision, RunStatus, SourceRun
from app.db import utcnow
from app.extensions import db
from app.jobs import Job, JobStatus
from app.jobs.repair import ABANDONED
from app.jobs.runner import execute
from app.sources import registry
from app.sources.protocol import Item, Match
from app.sources.validation import FieldError
from tests.unit.collect.factory import amelia_case, candidate_for, confirmed_amelia


@dataclass
class StubSource:
    """A test-only source: ``count`` items per collect, keyed stably."""

    name: str
    count: int = 3
    title: str = "Stub store (test only)"
    categories: tuple[str, ...] = ("stub",)
    collected: list[Match] = field(default_factory=list)

    def find(self, session, identity):
        return []

    def collect(self, session, match: Match) -> Iterator[Item]:
        self.collected.append(match)
        for n in range(self.count):
            yield Item(self.name, "stub", f"row:{n}", f"Row {n}", {"n": n}, occurred_on=date(2025, 1, 1 + n))


@dataclass
class FailingOnceSource(StubSource):
    """Fails with personal data in the message the first ``failures`` times."""

    failures: int = 1

    def collect(self, session, match: Match) -> Iterator[Item]:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("Amelia O'Brien-Núñez could not be read")
        yield from super().collect(session, match)


@pytest.fixture
def stub_sources(monkeypatch, world):
    sources = [StubSource("stub_a"), FailingOnceSource("stub_b", failures=0)]
    by_name = {source.name: source for source in sources}
    real_all_sources, real_find_all = registry.all_sources, registry.find_all

    def find_all(session, identity, *, requester=None):
        # The real person stores find Amelia; only collection uses the stubs.
        with monkeypatch.context() as patch:
            patch.setattr(registry, "all_sources", real_all_sources)
            return real_find_all(session, identity, requester=requester)

    monkeypatch.setattr(registry, "all_sources", lambda: list(sources))
    monkeypatch.setattr(registry, "get_source", lambda name: by_name[name])
    monkeypatch.setattr(registry, "find_all", find_all)
    return by_name


def _moves_to_review(db_session, case) -> int:
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == case.id, AuditEvent.action == "case.status_changed")
    ).all()
    return sum(1 for event in events if event.data.get("to") == "in_review")


def _run(db_session, case, source) -> SourceRun:
    return db_session.scalars(
        select(SourceRun).where(SourceRun.case_id == case.id, SourceRun.source == source)
    ).one()


def _items(db_session, case) -> list[tuple[str, str]]:
    rows = db_session.execute(
        select(CollectedItem.source, CollectedItem.key).where(CollectedItem.case_id == case.id)
    ).all()
    return sorted((row.source, row.key) for row in rows)


def test_gather_runs_every_source_inline_and_moves_to_review_once(
    inline_jobs, db_session, world, caseworker, stub_sources
):
    case = confirmed_amelia(world, caseworker)
    runs = services.start_gather(case, caseworker)
    jobs = [db_session.get(Job, run.job_id) for run in runs]
    assert sorted(job.args for job in jobs) == [[str(case.id), "stub_a"], [str(case.id), "stub_b"]]
    db_session.commit()  # the jobs run now, inline

    db_session.expire_all()
    assert case.status is CaseStatus.IN_REVIEW
    assert _moves_to_review(db_session, case) == 1
    assert {_run(db_session, case, s).status for s in stub_sources} == {RunStatus.DONE}
    assert _run(db_session, case, "stub_a").item_count == 3
    assert len(_items(db_session, case)) == 6
    match = stub_sources["stub_a"].collected[0]
    assert match.pupil_ids == frozenset({world.amelia.id}) and match.organisation_ids == {world.elm.id}


def test_item_data_and_title_are_sealed_at_rest(inline_jobs, db_session, world, caseworker, stub_sources):
    case = confirmed_amelia(world, caseworker)
    services.start_gather(case, caseworker)
    db_session.commit()
    raw = db_session.execute(text("SELECT title, data FROM collected_items")).first()
    assert b"Row" not in bytes(raw.title) and b'"n"' not in bytes(raw.data)
    item = db_session.scalars(select(CollectedItem).where(CollectedItem.key == "stub_a/row:1")).one()
    assert (item.title, item.data, item.occurred_on) == ("Row 1", {"n": 1}, date(2025, 1, 2))


def test_running_a_source_twice_stores_the_same_items_once(
    inline_jobs, db_session, world, caseworker, stub_sources
):
    case = confirmed_amelia(world, caseworker)
    services.start_gather(case, caseworker)
    db_session.commit()
    first = _items(db_session, case)

    assert run_source(case.id, "stub_a") == 3
    assert run_source(case.id, "stub_a") == 3

    assert _items(db_session, case) == first
    assert _run(db_session, case, "stub_a").attempt == 3
    assert _moves_to_review(db_session, case) == 1


def test_failed_source_is_visible_never_done_and_can_be_retried(
    inline_jobs, db_session, world, caseworker, stub_sources
):
    stub_sources["stub_b"].failures = 1
    case = confirmed_amelia(world, caseworker)
    services.start_gather(case, caseworker)
    db_session.commit()

    db_session.expire_all()
    failed = _run(db_session, case, "stub_b")
    assert failed.status is RunStatus.FAILED and failed.item_count is None
    assert failed.error_code == "RuntimeError" and "Amelia" not in (failed.error_message or "")
    assert db_session.get(Job, failed.job_id).status is JobStatus.FAILED
    assert case.status is CaseStatus.GATHERING
    assert [line.status for line in gather_progress(case).sources] == ["done", "failed"]
    assert not any(key.startswith("stub_b/") for _, key in _items(db_session, case))

    with pytest.raises(IllegalTransition):
        services.retry_source(case, caseworker, "stub_a")  # done, not failed
    db_session.rollback()
    services.retry_source(case, caseworker, "stub_b")
    db_session.commit()

    db_session.expire_all()
    retried = _run(db_session, case, "stub_b")
    assert retried.status is RunStatus.DONE and retried.attempt == 2 and retried.error_code is None
    assert db_session.get(Job, retried.job_id).attempts == 2  # the same job row, run again
    assert case.status is CaseStatus.IN_REVIEW and _moves_to_review(db_session, case) == 1


def test_abandoned_source_is_shown_failed_and_resumed(
    inline_jobs, db_session, world, caseworker, stub_sources
):
    case = confirmed_amelia(world, caseworker)
    app = inline_jobs
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/4"  # as if RQ held the jobs: nothing runs here
    runs = services.start_gather(case, caseworker)
    db_session.commit()
    app.config["REDIS_URL"] = None
    # As after a worker was killed mid-job and ``flask jobs repair`` ran.
    stuck = runs[0]
    stuck.status = RunStatus.RUNNING
    job = db_session.get(Job, stuck.job_id)
    job.status, job.error, job.finished_at = JobStatus.FAILED, ABANDONED, utcnow()
    db_session.commit()
    line = next(line for line in gather_progress(case).sources if line.source == stuck.source)
    assert (line.status, line.error_code) == ("failed", "abandoned")

    resumed = services.resume_abandoned()
    assert [run.source for run in resumed] == [stuck.source]
    db_session.commit()

    db_session.expire_all()
    assert _run(db_session, case, stuck.source).status is RunStatus.DONE
    assert services.resume_abandoned() == []


def test_gather_needs_a_confirmed_subject_record_and_an_open_case(
    inline_jobs, db_session, world, caseworker, stub_sources
):
    case = amelia_case(world, caseworker)
    services.propose_candidates(case, caseworker)
    with pytest.raises(FieldError) as refused:
        services.start_gather(case, caseworker)
    assert refused.value.field == "candidates"
    db_session.rollback()

    confirmed_case = confirmed_amelia(world, caseworker, requester_email="other@example.net")
    services.start_gather(confirmed_case, caseworker)
    db_session.commit()
    with pytest.raises(IllegalTransition):
        services.start_gather(confirmed_case, caseworker)
    db_session.rollback()
    with pytest.raises(IllegalTransition):
        services.decide_candidate(
            confirmed_case, candidate_for(confirmed_case, world.amelia.id).id, caseworker, False
        )
    db_session.rollback()
    assert (
        db_session.scalar(select(func.count()).select_from(SourceRun).where(SourceRun.case_id == case.id))
        == 0
    )


def test_searching_again_keeps_decisions(db_session, world, caseworker):
    case = amelia_case(world, caseworker)
    found = services.propose_candidates(case, caseworker)
    assert world.amelia.id in {c.record_id for c in found}
    assert world.oak_amelia.id not in {c.record_id for c in found}  # another school's pupil
    isla = candidate_for(case, world.isla.id)
    services.decide_candidate(case, isla.id, caseworker, False)
    services.decide_candidate(case, candidate_for(case, world.amelia.id).id, caseworker, True)
    db_session.commit()

    again = services.propose_candidates(case, caseworker)
    db_session.commit()
    decisions = {c.record_id: c.decision for c in again}
    assert decisions[world.amelia.id] is Decision.CONFIRMED and decisions[world.isla.id] is Decision.REJECTED
    assert len(again) == len(found)
    mother = candidate_for(case, world.mother.id)
    assert mother.about == "requester" and mother.summary["name"]


def test_a_parent_is_found_by_the_phone_number_on_the_form(db_session, world, caseworker):
    """The mother wrote her new name and email on the form; the school still
    has her old ones, but her mobile number is the same."""
    world.mother.mobile_phone = "07700 900461"
    db_session.commit()
    case = amelia_case(
        world, caseworker, requester_name="Siobhan Byrne", requester_email="siobhan.byrne@example.net",
        requester_phone="+44 7700 900461",
    )  # fmt: skip
    services.propose_candidates(case, caseworker)
    db_session.commit()
    mother = candidate_for(case, world.mother.id)
    assert mother.about == "requester" and "phone_exact" in mother.reasons


def test_deciding_another_cases_candidate_is_not_found(db_session, world, caseworker):
    case = amelia_case(world, caseworker)
    other = amelia_case(world, caseworker, requester_email="someone@example.net")
    services.propose_candidates(other, caseworker)
    db_session.commit()
    with pytest.raises(LookupError):
        services.decide_candidate(case, candidate_for(other, world.amelia.id).id, caseworker, True)


def test_sources_finishing_during_a_pause_are_moved_on_by_hand(
    inline_jobs, db_session, world, caseworker, stub_sources
):
    case = confirmed_amelia(world, caseworker)
    inline_jobs.config["REDIS_URL"] = "redis://127.0.0.1:1/4"  # queued, and left for this test to run
    services.start_gather(case, caseworker)
    db_session.commit()
    inline_jobs.config["REDIS_URL"] = None
    clock_changes.pause(case, caseworker, reason="clarify_dates", question="Which years?", today=date.today())
    db_session.commit()
    with pytest.raises(IllegalTransition):
        services.complete_gather(case, caseworker)
    db_session.rollback()

    for source in stub_sources:
        run_source(case.id, source)
    db_session.expire_all()
    assert case.status is CaseStatus.PAUSED  # collected, but a paused case does not move

    clock_changes.resume(case, caseworker)
    db_session.commit()
    assert case.status is CaseStatus.GATHERING
    services.complete_gather(case, caseworker)
    db_session.commit()
    assert case.status is CaseStatus.IN_REVIEW and _moves_to_review(db_session, case) == 1


def test_source_of_a_case_no_longer_gathered_fails_and_stores_nothing(
    inline_jobs, db_session, world, caseworker, stub_sources
):
    case = confirmed_amelia(world, caseworker)
    inline_jobs.config["REDIS_URL"] = "redis://127.0.0.1:1/4"  # queued, and left for this test to run
    runs = services.start_gather(case, caseworker)
    db_session.commit()
    inline_jobs.config["REDIS_URL"] = None
    case_services.withdraw(case, caseworker, asked_by="email")
    db_session.commit()

    outcome = execute(runs[0].job_id)

    assert outcome.status is JobStatus.FAILED
    db_session.expire_all()
    run = _run(db_session, case, runs[0].source)
    assert (run.status, run.error_code, run.attempt) == (RunStatus.FAILED, "case_not_gathering", 1)
    assert _items(db_session, case) == []
    assert case.status is CaseStatus.WITHDRAWN


def test_only_the_move_to_review_waits_for_the_disk(inline_jobs, db_session, world, caseworker, stub_sources):
    """On PostgreSQL the jobs' claim and work commit asynchronously (a lost
    one is redone by the repair); the last job's, which moves the case and
    records its audit event, is made durable again."""
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("synchronous_commit is a PostgreSQL setting")
    case = confirmed_amelia(world, caseworker)
    seen: list[str] = []

    def before_commit(session) -> None:
        if session.in_transaction():
            seen.append(session.connection().exec_driver_sql("SHOW synchronous_commit").scalar())

    services.start_gather(case, caseworker)
    event.listen(db.session, "before_commit", before_commit)
    try:
        db_session.commit()
    finally:
        event.remove(db.session, "before_commit", before_commit)

    db_session.expire_all()
    assert case.status is CaseStatus.IN_REVIEW
    # The caller's commit, the shared claim, then one per source: the last moves the case.
    assert seen == ["on", "off", "off", "on"]


def test_case_withdrawn_while_a_source_is_collected_gets_no_items(
    inline_jobs, db_session, world, caseworker, stub_sources, monkeypatch
):
    """The status is read again under the case row's lock before storing."""
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("needs a second connection writing while the job's transaction is open")
    case = confirmed_amelia(world, caseworker)
    case_id = case.id
    real_collect = stub_sources["stub_a"].collect

    def collect_while_withdrawn(session, match):
        with db.engine.begin() as other:  # as a concurrent request would
            other.execute(text("UPDATE cases SET status = 'withdrawn' WHERE id = :id"), {"id": case_id})
        yield from real_collect(session, match)

    monkeypatch.setattr(stub_sources["stub_a"], "collect", collect_while_withdrawn)
    services.start_gather(case, caseworker)
    db_session.commit()

    db_session.expire_all()
    run = _run(db_session, case, "stub_a")
    assert (run.status, run.error_code) == (RunStatus.FAILED, "case_not_gathering")
    assert not any(key.startswith("stub_a/") for _, key in _items(db_session, case))
