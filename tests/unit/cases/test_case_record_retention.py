"""Reducing a long-finished case's record: what goes, what stays, when it
is due (the day before, the day of, the day after), what holds it back, and
that a run either reduces a case wholly or not at all."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.blobs.services import BlobDestroyedError, open_blob, store_blob
from app.cases import clock_changes, duplicates, record_retention, services
from app.cases.models import Case, CaseEvent, CasePause, CaseStatus, CaseStatusLink
from app.cases.status_links import case_for_status_token, mint_status_link
from app.collect.models import CaseCandidate, SourceRun
from app.db import new_uuid, utcnow
from app.erasure.models import ErasurePlan, ErasureStep, PlanStatus, StepAction, StepState
from app.extensions import db
from app.jobs.schedule import PERIODIC
from app.mail.models import OutboxMessage
from app.rectification.models import ProposalStatus, RectificationLetter, RectificationProposal
from app.restriction import services as restriction
from app.restriction.models import Objection, ObjectionDecision, Restriction
from app.review.models import ItemDecision
from app.rights.models import HoldSubject, LegalHold
from app.sources.protocol import PersonKind
from tests.signin import make_organisation
from tests.unit.cases.factory import new_case
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.exports.factory import decide_all, gathered_case
from tests.unit.restriction.factory import schedule_and_lift

LETTER = b"%PDF-1.7\n% Dear Ms Kowalska, your daughter's record now reads...\n%%EOF\n"


def _closed(case: Case, on: date) -> None:
    """Withdrawn (through the service), as if on ``on`` at 15:00 UTC."""
    services.withdraw(case, None)
    case.closed_at = datetime.combine(on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
    db.session.commit()


def _noon(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)


def _count(model, case_id: uuid.UUID) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(model.case_id == case_id))


def test_a_long_finished_case_loses_every_personal_detail_and_keeps_its_shape(world, caseworker):
    case = gathered_case(world, caseworker)
    decide_all(case, caseworker)
    db.session.flush()
    decision = db.session.scalars(select(ItemDecision).where(ItemDecision.case_id == case.id)).first()
    decision.note = "Withheld the paragraph naming Amelia's brother."
    clock_changes.pause(case, caseworker, reason="clarify_scope", question="Which school years, Ms Kowalska?")
    case.open_pause.answer = "Only Year 4, thank you."
    clock_changes.resume(case, caseworker)
    token = mint_status_link(case)
    db.session.commit()
    reference, runs, decisions = case.reference, _count(SourceRun, case.id), _count(ItemDecision, case.id)
    events = _count(CaseEvent, case.id)
    assert _count(CaseCandidate, case.id) > 0 and runs == 7 and decisions > 0
    assert _count(OutboxMessage, case.id) > 0  # the acknowledgement, the question...
    _closed(case, date(2020, 3, 9))

    report = record_retention.reduce_due_records(_noon(date(2026, 3, 9)))
    db.session.commit()
    db.session.expire_all()

    assert report.cases == [case.id] and report.unconfirmed == 0 and report.held == []
    case = db.session.get(Case, case.id)
    for name in record_retention.REMOVED_FROM_CASE:
        assert getattr(case, name) is None, name
    assert case.subject_date_of_birth is None and case.record_reduced_at is not None
    # Its copies went first, as they would have weeks after it closed.
    assert case.copies_destroyed_at is not None
    # The shape of the record stays: what kind of person asked what, when, and how it went.
    assert (case.reference, case.status) == (reference, CaseStatus.WITHDRAWN)
    assert case.request_type.value == "access"
    assert case.requester_relationship.value == "parent_carer" and case.subject_role.value == "pupil"
    assert case.received_on and case.identity_method is not None and case.closed_at is not None
    assert _count(SourceRun, case.id) == runs and _count(ItemDecision, case.id) == decisions
    assert _count(CaseEvent, case.id) == events + 3  # withdrawn, its confirmation sent, record reduced
    [pause] = db.session.scalars(select(CasePause).where(CasePause.case_id == case.id)).all()
    assert (pause.question, pause.answer, pause.reason) == (None, None, "clarify_scope")
    assert pause.answered_on is not None
    # Nothing leads back to the person: no candidates, no status link, no item keys.
    assert _count(CaseCandidate, case.id) == 0 and _count(CaseStatusLink, case.id) == 0
    assert _count(OutboxMessage, case.id) == 0
    assert case_for_status_token(token) is None
    kept = db.session.scalars(select(ItemDecision).where(ItemDecision.case_id == case.id)).all()
    assert all(row.item_key == f"reduced:{row.id}" and row.note is None for row in kept)
    assert {row.action.value for row in kept} == {"disclose"}
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.record_reduced")).all()
    assert event.object_id == case.id and event.data == {"letter_files": 0, "confirmed": True}
    # A re-run finds nothing left to do.
    again = record_retention.reduce_due_records(_noon(date(2026, 3, 10)))
    assert again.cases == [] and again.held == []


def test_letters_kept_as_files_are_shredded_and_rights_details_removed(world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="rectification")
    letter_blob = store_blob(LETTER, "application/pdf")
    certificate_blob = store_blob(LETTER, "application/pdf")
    letter = RectificationLetter(id=new_uuid(), case_id=case.id, version=1, blob_id=letter_blob.id, pages=1)
    proposal = RectificationProposal(
        id=new_uuid(), case_id=case.id, kind=PersonKind.PUPIL, record_id=world.amelia.id, field="surname",
        before_value="Kowalsky", proposed_value="Kowalska", status=ProposalStatus.APPLIED,
        reason="Spelling on the birth certificate.", letter_id=letter.id,
    )  # fmt: skip
    plan = ErasurePlan(
        id=new_uuid(), case_id=case.id, status=PlanStatus.DONE, as_of=date(2020, 1, 6),
        built_at=utcnow(), certificate_blob_id=certificate_blob.id, certificate_pages=1,
    )  # fmt: skip
    step = ErasureStep(
        id=new_uuid(), plan_id=plan.id, position=1, source="pupils", category="send",
        action=StepAction.DELETE, organisation_ids=[str(world.elm.id)], record_count=1,
        record_ids=[str(world.amelia.id)], state=StepState.DONE, affected_count=1,
    )  # fmt: skip
    objection = Objection(
        id=new_uuid(), case_id=case.id, purpose="Photographs on the website",
        decision=ObjectionDecision.UPHELD, grounds="Her safety: a court order names her father.",
    )  # fmt: skip
    db.session.add_all([letter, proposal, plan, step, objection])
    [restricted] = restriction.restrict(case, caseworker, "Mrs Kowalska disputes the surname.")
    schedule_and_lift(case, caseworker, "Corrected on 6 January.")
    db.session.commit()
    _closed(case, date(2020, 1, 20))

    report = record_retention.reduce_due_records(_noon(date(2026, 1, 20)))
    db.session.commit()
    db.session.expire_all()

    assert report.cases == [case.id] and report.files_shredded == 2
    for blob_id in (letter_blob.id, certificate_blob.id):
        with pytest.raises(BlobDestroyedError):
            open_blob(blob_id)
    proposal = db.session.get(RectificationProposal, proposal.id)
    assert (proposal.before_value, proposal.proposed_value, proposal.reason) == (None, None, None)
    assert (proposal.field, proposal.status, proposal.record_id) == (
        "surname", ProposalStatus.APPLIED, proposal.id  # each its own stand-in, no longer the record
    )  # fmt: skip
    step = db.session.get(ErasureStep, step.id)
    assert step.record_ids is None
    assert (step.record_count, step.affected_count, step.category) == (1, 1, "send")
    assert db.session.get(Objection, objection.id).grounds is None
    restricted = db.session.get(Restriction, restricted.id)
    assert (restricted.reason, restricted.lifted_reason, restricted.lift_reason) == (None, None, None)
    assert restricted.person_id == record_retention.UNLINKED and restricted.lifted_at is not None
    hold = db.session.get(LegalHold, restricted.hold_id)
    assert "Kowalska" not in hold.reason and case.reference in hold.reason
    assert hold.subject_id == record_retention.UNLINKED and hold.released_at is not None
    sealed = json.dumps(
        [db.session.get(Case, case.id).requester_name, proposal.before_value, hold.reason], default=str
    )
    assert "Kowalsk" not in sealed


@pytest.mark.parametrize(
    ("as_of", "due"),
    [(date(2026, 2, 27), False), (date(2026, 2, 28), True), (date(2026, 3, 1), True)],
    ids=["the day before", "the day of", "the day after"],
)
def test_a_record_is_due_six_years_after_the_day_it_closed(world, caseworker, as_of, due):
    case = new_case(world.elm)
    _closed(case, date(2020, 2, 29))  # a leap day: six years on is 28 February
    report = record_retention.reduce_due_records(_noon(as_of), dry_run=True)
    assert report.cases == ([case.id] if due else [])
    db.session.rollback()
    assert db.session.get(Case, case.id).requester_name == "Jo Parent"


def test_the_period_follows_the_setting(app, world, caseworker):
    case = new_case(world.elm)
    _closed(case, date(2024, 5, 1))
    assert record_retention.reduce_due_records(_noon(date(2026, 5, 1)), dry_run=True).cases == []
    app.config[record_retention.CONFIG_KEY] = 2
    assert record_retention.reduce_due_records(_noon(date(2026, 5, 1)), dry_run=True).cases == [case.id]


def test_a_request_never_confirmed_is_reduced_with_its_copies(world, caseworker):
    never = new_case(world.elm, confirm=False, requester_email="someone@example.net")
    confirmed = new_case(world.elm)
    now = utcnow()
    for case in (never, confirmed):
        _closed(case, (now - timedelta(days=31)).date())

    report = record_retention.reduce_due_records(now)
    db.session.commit()

    assert report.cases == [never.id] and report.unconfirmed == 1
    assert db.session.get(Case, never.id).requester_email is None
    assert db.session.get(Case, confirmed.id).requester_email == "jo.parent@example.net"


def test_a_restriction_in_force_or_an_organisation_hold_keeps_the_record_whole(world, caseworker):
    restricted = confirmed_amelia(world, caseworker)
    restriction.restrict(restricted, caseworker, "Accuracy disputed.")
    held = new_case(world.oak)
    plain = new_case(world.elm)
    for case in (restricted, held, plain):
        _closed(case, date(2019, 6, 3))
    organisation_hold = LegalHold(
        id=new_uuid(), subject_kind=HoldSubject.ORGANISATION, subject_id=world.oak.id,
        reason="ICO investigation", placed_at=utcnow(),
    )  # fmt: skip
    db.session.add(organisation_hold)
    db.session.commit()

    report = record_retention.reduce_due_records(_noon(date(2026, 1, 5)))
    db.session.commit()
    assert report.cases == [plain.id] and set(report.held) == {restricted.id, held.id}
    assert db.session.get(Case, held.id).requester_name == "Jo Parent"

    organisation_hold.released_at = utcnow()
    db.session.commit()
    later = record_retention.reduce_due_records(_noon(date(2026, 1, 6)))
    assert later.cases == [held.id] and later.held == [restricted.id]


def test_a_hold_on_the_trust_or_on_the_person_keeps_the_record_whole(world, caseworker):
    about_amelia = confirmed_amelia(world, caseworker)  # her pupil record confirmed by the DPO
    trust = make_organisation("Oak Learning Trust", kind="trust")
    oak_school = make_organisation("Oak Wood Primary", trust=trust)
    at_oak_wood = new_case(oak_school)
    for case in (about_amelia, at_oak_wood):
        _closed(case, date(2019, 6, 3))
    holds = [
        LegalHold(id=new_uuid(), subject_kind=HoldSubject.PUPIL, subject_id=world.amelia.id,
                  reason="Claim against the school", placed_at=utcnow()),
        LegalHold(id=new_uuid(), subject_kind=HoldSubject.ORGANISATION, subject_id=trust.id,
                  reason="Trust-wide investigation", placed_at=utcnow()),
    ]  # fmt: skip
    db.session.add_all(holds)
    db.session.commit()

    report = record_retention.reduce_due_records(_noon(date(2026, 1, 5)))
    assert report.cases == [] and set(report.held) == {about_amelia.id, at_oak_wood.id}

    for hold in holds:
        hold.released_at = utcnow()
    db.session.commit()
    report = record_retention.reduce_due_records(_noon(date(2026, 1, 6)))
    assert set(report.cases) == {about_amelia.id, at_oak_wood.id} and report.held == []


def test_a_failure_part_way_leaves_every_case_whole_and_a_rerun_finishes(world, caseworker, monkeypatch):
    first, second = new_case(world.elm), new_case(world.elm, requester_email="other@example.net")
    for case in (first, second):
        _closed(case, date(2019, 9, 2))
    real = record_retention.reduce_case_record
    calls = []

    def crash_on_the_second(case, **kwargs):
        calls.append(case.id)
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return real(case, **kwargs)

    monkeypatch.setattr(record_retention, "reduce_case_record", crash_on_the_second)
    with pytest.raises(RuntimeError):
        record_retention.reduce_due_records(_noon(date(2026, 1, 5)))
    db.session.rollback()
    db.session.expire_all()
    assert [db.session.get(Case, case.id).record_reduced_at for case in (first, second)] == [None, None]
    assert db.session.get(Case, first.id).requester_name == "Jo Parent"

    monkeypatch.setattr(record_retention, "reduce_case_record", real)
    report = record_retention.reduce_due_records(_noon(date(2026, 1, 5)))
    db.session.commit()
    assert sorted(report.cases, key=str) == sorted([first.id, second.id], key=str)
    reduced = db.session.scalar(select(func.count()).where(AuditEvent.action == "case.record_reduced"))
    assert reduced == 2


def test_a_new_request_is_not_linked_to_a_reduced_record(world, caseworker):
    old = new_case(world.elm)
    _closed(old, date(2019, 9, 2))
    record_retention.reduce_due_records(_noon(date(2026, 1, 5)))
    db.session.commit()
    fresh = new_case(world.elm)
    assert fresh.duplicate_of_id is None and fresh.duplicate_key is not None


def test_the_daily_task_reduces_due_records(app, world, caseworker):
    case = new_case(world.elm)
    _closed(case, (utcnow() - timedelta(days=7 * 366)).date())
    summary = PERIODIC["cases.reduce_records"].run()
    db.session.commit()
    assert summary.startswith("1 case record(s) reduced")
    assert db.session.get(Case, case.id).record_reduced_at is not None


def test_a_limited_run_reduces_the_oldest_and_held_records_never_fill_the_batch(world, caseworker):
    held = new_case(world.oak, requester_email="held@example.net")
    oldest = new_case(world.elm, requester_email="oldest@example.net")
    newer = new_case(world.elm, requester_email="newer@example.net")
    _closed(held, date(2019, 1, 7))  # the oldest of all, but held
    _closed(oldest, date(2019, 2, 4))
    _closed(newer, date(2019, 3, 4))
    db.session.add(
        LegalHold(
            id=new_uuid(), subject_kind=HoldSubject.ORGANISATION, subject_id=world.oak.id,
            reason="ICO investigation", placed_at=utcnow(),
        )
    )  # fmt: skip
    db.session.commit()

    report = record_retention.reduce_due_records(_noon(date(2026, 1, 5)), limit=1)
    db.session.commit()

    assert report.cases == [oldest.id] and report.held == [held.id]
    assert db.session.get(Case, newer.id).record_reduced_at is None


def test_the_daily_task_commits_each_batch_so_a_crash_keeps_what_it_finished(
    app, world, caseworker, monkeypatch
):
    import app.jobs.schedule as schedule

    cases = [new_case(world.elm, requester_email=f"c{n}@example.net") for n in range(3)]
    for days, case in enumerate(cases):
        _closed(case, (utcnow() - timedelta(days=7 * 366 - days)).date())
    monkeypatch.setattr(schedule, "RETENTION_BATCH", 1)
    real = record_retention.reduce_case_record
    calls = []

    def crash_on_the_second(case, **kwargs):
        calls.append(case.id)
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return real(case, **kwargs)

    monkeypatch.setattr(record_retention, "reduce_case_record", crash_on_the_second)
    with pytest.raises(RuntimeError):
        PERIODIC["cases.reduce_records"].run()
    db.session.rollback()
    db.session.expire_all()
    assert [db.session.get(Case, case.id).record_reduced_at is not None for case in cases] == [
        True, False, False
    ]  # fmt: skip

    monkeypatch.setattr(record_retention, "reduce_case_record", real)
    summary = PERIODIC["cases.reduce_records"].run()
    db.session.commit()
    assert summary.startswith("3 batches: 1 case record(s) reduced")
    db.session.expire_all()
    assert all(db.session.get(Case, case.id).record_reduced_at is not None for case in cases)


def _flagged_pair(world) -> tuple[Case, Case]:
    """An earlier case and a later one flagged as its possible duplicate."""
    earlier = new_case(world.elm)
    later = new_case(world.elm, received_on=date(2024, 10, 1))
    assert later.duplicate_of_id == earlier.id
    return earlier, later


def _unflagged_lines(case: Case) -> list[CaseEvent]:
    lines = select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == duplicates.UNFLAGGED)
    return list(db.session.scalars(lines))


def test_a_case_flagged_as_duplicate_of_a_reduced_case_is_unflagged_on_its_timeline(world, caseworker):
    earlier, later = _flagged_pair(world)
    _closed(earlier, date(2019, 6, 3))
    assert record_retention.reduce_due_records(_noon(date(2026, 1, 5)), dry_run=True).unflagged == []
    db.session.rollback()

    report = record_retention.reduce_due_records(_noon(date(2026, 1, 5)))
    db.session.commit()
    db.session.expire_all()

    assert report.cases == [earlier.id] and report.unflagged == [later.id]
    assert "1 duplicate flag(s) to a reduced record cleared" in str(report)
    assert db.session.get(Case, later.id).duplicate_of_id is None
    [line] = _unflagged_lines(later)
    assert line.data == {"reason": "record_reduced"} and line.actor_id is None
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.duplicate_flag_cleared"))
    assert event.object_id == later.id and str(earlier.id) not in json.dumps(event.data)
    # A re-run finds nothing left to do and writes nothing twice.
    again = record_retention.reduce_due_records(_noon(date(2026, 1, 6)))
    db.session.commit()
    assert again.cases == [] and again.unflagged == [] and len(_unflagged_lines(later)) == 1


def test_a_reduced_case_loses_its_own_flag_when_the_earlier_case_stays_whole(world, caseworker):
    earlier, later = _flagged_pair(world)  # the earlier one still awaits identity
    _closed(later, date(2019, 6, 3))

    report = record_retention.reduce_due_records(_noon(date(2026, 1, 5)))
    db.session.commit()

    assert report.cases == [later.id] and report.unflagged == [later.id]
    assert db.session.get(Case, later.id).duplicate_of_id is None
    assert db.session.get(Case, earlier.id).record_reduced_at is None


def test_a_flag_left_to_a_case_reduced_before_is_cleared_by_the_next_run(world, caseworker):
    earlier, later = _flagged_pair(world)
    _closed(earlier, date(2019, 6, 3))
    record_retention.reduce_case_record(earlier)  # reduced on its own, its flags left as they were
    db.session.commit()
    assert db.session.get(Case, later.id).duplicate_of_id == earlier.id

    report = record_retention.reduce_due_records(_noon(date(2026, 1, 5)))
    db.session.commit()

    assert report.cases == [] and report.unflagged == [later.id]
    assert db.session.get(Case, later.id).duplicate_of_id is None
