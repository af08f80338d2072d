"""The retention sweeper: each rule at its boundary, shared contacts, dry
runs, idempotence, the audit trail and the schedule itself (legal holds and
what anonymising leaves: test_retention_effects.py).

Boundaries: a record whose period ends on day D (its due date, see
``app.rights.periods``) is untouched by a sweep as of D - 1 and swept by one
as of D or D + 1: "the day of" is in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update

from app.audit.models import AuditEvent
from app.extensions import db
from app.rights.models import PeriodUnit, RetentionRule, SetupImport
from app.rights.periods import due_date
from app.rights.retention import RetentionScheduleError, sweep
from app.sources.contacts.models import Contact, PupilContact
from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient
from app.sources.employees.models import Employee
from app.sources.helpdesk.models import Ticket, TicketEntry
from app.sources.pupils.models import Assessment, AttendanceWeek, Enrolment, Pupil, SendRecord
from tests.unit.rights import factory as make

Probe = Callable[[], bool]  # True once the record has been swept


def _gone(model: type, record_id) -> Probe:
    return lambda: db.session.get(model, record_id, populate_existing=True) is None


def _anonymised(model: type, record_id) -> Probe:
    return lambda: db.session.get(model, record_id, populate_existing=True).anonymised_at is not None


def _correspondence(anchor: date) -> Probe:
    return _gone(Message, make.message(make.school(contract_end=anchor)).id)


def _helpdesk(anchor: date) -> Probe:
    return _gone(Ticket, make.ticket(make.school(contract_end=anchor)).id)


def _contact_of_leaver(anchor: date) -> Probe:
    org = make.school()
    return _gone(Contact, make.contact(org, make.pupil(org, left=anchor)).id)


def _contact_after_contract(anchor: date) -> Probe:
    org = make.school(contract_end=anchor)
    return _gone(Contact, make.contact(org, make.pupil(org)).id)


def _pupil_after_contract(anchor: date) -> Probe:
    return _anonymised(Pupil, make.pupil(make.school(contract_end=anchor)).id)


def _leaver(anchor: date) -> Probe:
    return _anonymised(Pupil, make.pupil(make.school(), left=anchor).id)


def _employee(anchor: date) -> Probe:
    return _anonymised(Employee, make.employee(make.school(), left=anchor).id)


def _setup(anchor: date) -> Probe:
    # 23:30 UTC: the last minutes of the processing day still count as that day.
    processed = datetime(anchor.year, anchor.month, anchor.day, 23, 30, tzinfo=UTC)
    return _gone(SetupImport, make.setup_import(make.school(), processed=processed).id)


# (rule, how the record is made, its anchor, the due date the policy gives it)
BOUNDARIES = [
    ("correspondence_after_contract", _correspondence, date(2024, 2, 29), date(2027, 2, 28)),
    ("helpdesk_after_contract", _helpdesk, date(2023, 3, 31), date(2026, 3, 31)),
    ("contacts_after_pupils", _contact_of_leaver, date(2025, 8, 31), date(2026, 2, 28)),
    ("contacts_after_pupils", _contact_after_contract, date(2025, 8, 30), date(2026, 2, 28)),
    ("pupils_after_contract", _pupil_after_contract, date(2024, 2, 29), date(2026, 2, 28)),
    ("pupils_leavers", _leaver, date(2024, 7, 19), date(2026, 8, 31)),
    ("pupils_leavers", _leaver, date(2024, 8, 31), date(2026, 8, 31)),
    ("pupils_leavers", _leaver, date(2024, 9, 1), date(2027, 8, 31)),
    ("employees_leavers", _employee, date(2026, 1, 31), date(2026, 2, 28)),
    ("setup_after_processing", _setup, date(2025, 2, 28), date(2026, 2, 28)),
]
_IDS = [f"{rule}-{build.__name__.strip('_')}-{anchor}" for rule, build, anchor, _ in BOUNDARIES]


def _rule(code: str) -> RetentionRule:
    return db.session.scalars(select(RetentionRule).where(RetentionRule.code == code)).one()


def _counts(results) -> dict[str, int]:
    return {result.code: result.count for result in results}


def test_the_schedule_is_seeded_one_row_per_rule(app):
    rules = {r.code: (r.store, r.period_count, r.period_unit, r.action.value, r.enabled)
             for r in db.session.scalars(select(RetentionRule))}  # fmt: skip
    assert rules == {
        "correspondence_after_contract": ("correspondence", 3, PeriodUnit.YEARS, "delete", True),
        "helpdesk_after_contract": ("helpdesk", 3, PeriodUnit.YEARS, "delete", True),
        "helpdesk_of_leavers": ("helpdesk", 1, PeriodUnit.MONTHS, "anonymise", True),
        "contacts_after_pupils": ("contacts", 6, PeriodUnit.MONTHS, "delete", True),
        "pupils_after_contract": ("pupils", 2, PeriodUnit.YEARS, "anonymise", True),
        "pupils_leavers": ("pupils", 2, PeriodUnit.ACADEMIC_YEARS, "anonymise", True),
        "employees_leavers": ("employees", 1, PeriodUnit.MONTHS, "anonymise", True),
        "setup_after_processing": ("setup_imports", 1, PeriodUnit.YEARS, "delete", True),
        "correspondence_of_leavers": ("correspondence", 1, PeriodUnit.MONTHS, "anonymise", True),
        "access_log_after_records": ("access_log", 0, PeriodUnit.MONTHS, "delete", True),
        "support_access_after_records": ("access_log", 0, PeriodUnit.MONTHS, "delete", True),
    }


def test_the_due_dates_are_the_ones_the_policy_gives(app):
    for code, _build, anchor, due in BOUNDARIES:
        rule = _rule(code)
        assert due_date(anchor, rule.period_count, rule.period_unit) == due, code


@pytest.mark.parametrize(("code", "build", "anchor", "due"), BOUNDARIES, ids=_IDS)
def test_each_rule_at_its_boundary(app, code, build, anchor, due):
    """Kept the day before its period ends; swept the day it ends and the day after."""
    for offset, taken in ((-1, False), (0, True), (1, True)):
        try:
            swept = build(anchor)
            results = _counts(sweep(due + timedelta(days=offset)))
            assert swept() is taken, f"as of {due + timedelta(days=offset)}"
            assert results[code] == (1 if taken else 0)
        finally:
            db.session.rollback()


def test_a_shared_contact_goes_only_when_the_last_link_qualifies(app):
    org = make.school()
    older = make.pupil(org, left=date(2024, 1, 10))
    younger = make.pupil(org, forename="Niamh")
    parent = make.contact(org, older, younger)
    assert sweep(date(2026, 1, 1))[2].count == 0  # the younger child is still on roll
    db.session.execute(update(Enrolment).where(Enrolment.pupil_id == younger.id)
                       .values(leaving_date=date(2025, 12, 1)))  # fmt: skip
    assert _counts(sweep(date(2026, 5, 31)))["contacts_after_pupils"] == 0
    assert db.session.get(Contact, parent.id) is not None
    assert _counts(sweep(date(2026, 6, 1)))["contacts_after_pupils"] == 1
    assert db.session.get(Contact, parent.id, populate_existing=True) is None
    assert make.count(PupilContact) == 0


def test_a_pupil_with_an_open_enrolment_or_none_at_all_has_not_left(app):
    org, other = make.school(), make.school()
    moved_on = make.pupil(org, left=date(2020, 7, 20))
    make.enrol(moved_on, other, date(2020, 9, 3), None)  # still on roll at the second school
    never_enrolled = make.pupil(org, enrolled=False)
    parent = make.contact(org, moved_on, never_enrolled)
    results = _counts(sweep(date(2030, 1, 1)))
    assert results["pupils_leavers"] == 0 and results["contacts_after_pupils"] == 0
    assert db.session.get(Contact, parent.id) is not None


def test_a_contact_goes_when_its_own_organisation_ends_whatever_its_links(app):
    org = make.school(contract_end=date(2025, 3, 31))
    parent = make.contact(org)  # no pupil link at all
    assert _counts(sweep(date(2025, 9, 30)))["contacts_after_pupils"] == 1
    assert db.session.get(Contact, parent.id, populate_existing=True) is None


def test_a_contact_follows_its_own_organisations_contract_not_a_linked_pupils(app):
    ours, theirs = make.school(), make.school(contract_end=date(2024, 3, 31))
    elsewhere = make.pupil(theirs)  # on roll at a school whose contract ended
    parent = make.contact(ours, elsewhere)
    assert _counts(sweep(date(2027, 1, 1)))["contacts_after_pupils"] == 0
    db.session.execute(update(Enrolment).where(Enrolment.pupil_id == elsewhere.id)
                       .values(leaving_date=date(2026, 7, 1)))  # fmt: skip
    assert _counts(sweep(date(2027, 1, 1)))["contacts_after_pupils"] == 1
    assert db.session.get(Contact, parent.id, populate_existing=True) is None


def test_a_trusts_ended_contract_ends_its_member_schools_without_a_date_of_their_own(app):
    trust = make.school("Beacon Learning Trust", kind="trust", contract_end=date(2025, 3, 31))
    member = make.school(trust=trust)  # served through the trust's contract
    own_contract = make.school(trust=trust, contract_end=date(2031, 8, 31))  # a later date of its own
    elsewhere = make.school()
    children = {org.id: make.pupil(org) for org in (member, own_contract, elsewhere)}
    for org in (member, own_contract, elsewhere):
        make.message(org, about=[children[org.id]])
    results = _counts(sweep(date(2030, 1, 1)))
    assert results["pupils_after_contract"] == 1 and results["correspondence_after_contract"] == 1
    anonymised = {
        org_id
        for org_id, child in children.items()
        if db.session.get(Pupil, child.id, populate_existing=True).anonymised_at is not None
    }
    assert anonymised == {member.id}
    left = db.session.scalars(select(Message.organisation_id)).all()
    assert sorted(map(str, left)) == sorted(map(str, (own_contract.id, elsewhere.id)))


def test_a_hold_on_a_trust_keeps_its_member_schools_records(app):
    from app.rights.models import HoldSubject

    trust = make.school("Beacon Learning Trust", kind="trust", contract_end=date(2025, 3, 31))
    member = make.school(trust=trust, contract_end=date(2025, 3, 31))
    outside = make.school(contract_end=date(2025, 3, 31))
    kept, taken = make.pupil(member), make.pupil(outside)
    make.hold(HoldSubject.ORGANISATION, trust.id)
    results = _counts(sweep(date(2030, 1, 1)))
    assert results["pupils_after_contract"] == 1
    assert db.session.get(Pupil, kept.id, populate_existing=True).anonymised_at is None
    assert db.session.get(Pupil, taken.id, populate_existing=True).anonymised_at is not None


_TABLES = (Pupil, Contact, PupilContact, Message, MessagePerson, MessageRecipient, Ticket, TicketEntry,
           SendRecord, Employee, Enrolment, AttendanceWeek, Assessment)  # fmt: skip


def _snapshot() -> dict[str, int]:
    counts = {model.__tablename__: make.count(model) for model in (*_TABLES, SetupImport, AuditEvent)}
    counts["anonymised"] = db.session.scalar(select(func.count()).where(Pupil.anonymised_at.is_not(None)))
    counts["employees_anonymised"] = db.session.scalar(
        select(func.count()).where(Employee.anonymised_at.is_not(None))
    )
    return counts


def test_a_dry_run_changes_nothing_and_counts_what_the_real_run_takes(app):
    make.estate()
    db.session.commit()
    before = _snapshot()
    dry = _counts(sweep(date(2030, 1, 1), dry_run=True))
    db.session.commit()
    assert _snapshot() == before
    real = _counts(sweep(date(2030, 1, 1)))
    db.session.commit()
    assert real == dry
    # The teacher leaves a message that stays for the pupils in it and a
    # ticket that stays for her school.
    assert real == {
        "correspondence_after_contract": 1, "correspondence_of_leavers": 1, "helpdesk_after_contract": 1,
        "helpdesk_of_leavers": 1,
        "contacts_after_pupils": 2, "pupils_after_contract": 1, "pupils_leavers": 1, "employees_leavers": 1,
        "access_log_after_records": 0, "support_access_after_records": 0, "setup_after_processing": 1,
    }  # fmt: skip


def test_a_second_run_the_same_day_finds_nothing(app):
    make.estate()
    first = sweep(date(2030, 1, 1))
    db.session.commit()
    assert sum(r.count for r in first) == 10
    assert all(r.count == 0 for r in sweep(date(2030, 1, 1)))
    assert all(r.count == 0 for r in sweep(date(2030, 1, 1), dry_run=True))


def test_a_real_run_writes_one_audit_event_per_rule_with_code_and_count_only(app):
    make.estate()
    results = sweep(date(2030, 1, 1))
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.swept")
                                .order_by(AuditEvent.seq)).all()  # fmt: skip
    assert [e.data for e in events] == [{"rule": r.code, "count": r.count} for r in results]
    assert len(events) == 11 and all(e.object_type == "retention_rule" for e in events)
    assert not any(name in repr([e.data for e in events]) for name in ("Aoife", "Brien", "Hughes", "@"))


def test_a_dry_run_writes_no_audit_event(app):
    make.estate()
    sweep(date(2030, 1, 1), dry_run=True)
    db.session.commit()
    assert make.count(AuditEvent) == 0


def test_a_disabled_rule_is_not_applied(app):
    org = make.school()
    teacher = make.employee(org, left=date(2020, 1, 1))
    db.session.execute(update(RetentionRule).where(RetentionRule.code == "employees_leavers")
                       .values(enabled=False))  # fmt: skip
    assert "employees_leavers" not in _counts(sweep(date(2030, 1, 1)))
    assert db.session.get(Employee, teacher.id, populate_existing=True).anonymised_at is None


def test_a_schedule_the_sweeper_does_not_know_is_refused_before_any_change(app):
    org = make.school()
    teacher = make.employee(org, left=date(2020, 1, 1))
    db.session.execute(update(RetentionRule).where(RetentionRule.code == "employees_leavers")
                       .values(action="delete"))  # fmt: skip
    with pytest.raises(RetentionScheduleError, match="employees_leavers"):
        sweep(date(2030, 1, 1))
    assert db.session.get(Employee, teacher.id, populate_existing=True).anonymised_at is None


@pytest.mark.parametrize("pupils", [1, 12])
def test_the_sweep_runs_a_fixed_number_of_statements_however_many_records(app, pupils):
    org = make.school(contract_end=date(2020, 1, 31))
    for _ in range(pupils):
        child = make.pupil(org, left=date(2019, 7, 19))
        make.contact(org, child)
        make.message(org, about=[child])
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        results = sweep(date(2030, 1, 1))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert _counts(results)["pupils_after_contract"] == pupils
    writes = [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "DELETE", "WITH"))]
    # Six deletes (the access log's two among them), employees 1, and for
    # pupils an update per rule marking them plus, for the rule that took
    # some, five taking their names out of the text kept for others (its
    # messages, ticket lines, summaries and tickets) and clearing the
    # records, and four for their send records, message tags, tickets and
    # consent evidence.
    # Contacts' consent evidence is cleared in the statement deleting them on
    # PostgreSQL, in one more before it on SQLite; before that, four take
    # their names out of the text kept for others and, on PostgreSQL, one
    # takes them off the messages (on SQLite a count finds none left and
    # stops). There is no leaver: on
    # PostgreSQL the one statement taking leavers off their messages runs
    # and changes nothing, and so does the one for their tickets; on SQLite
    # each count finds none and stops.
    postgresql = engine.dialect.name == "postgresql"
    assert len(writes) == (25 if postgresql else 23)
    assert any(s.lstrip().upper().startswith("WITH") for s in writes) == postgresql


def test_the_daily_task_sweeps_as_of_today(app):
    from app.jobs.schedule import PERIODIC

    teacher = make.employee(make.school(), left=date.today() - timedelta(days=62))
    task = PERIODIC["retention.sweep"]
    assert task.every_seconds == 86400
    assert task.run() == "1 record(s) swept by 11 retention rule(s)"
    assert db.session.get(Employee, teacher.id, populate_existing=True).anonymised_at is not None
