"""The access log follows the records it refers to: the entries about a
record the schedule deletes or anonymises go with it, and so do the
support-access permissions of a member of staff it anonymises; entries
naming a former member of staff as the one who opened other people's
records, what an erasure kept and what a legal hold covers stay."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select, update

from app.collect.models import CaseCandidate
from app.erasure import services as erasure
from app.erasure.plan import build_plan
from app.extensions import db
from app.rights.models import HoldSubject, RetentionRule
from app.rights.retention import sweep
from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from app.sources.contacts.models import Contact
from app.sources.employees.models import Employee
from app.sources.pupils.models import Pupil
from tests.unit.erasure.factory import erasure_world
from tests.unit.rights import factory as make

AS_OF = date(2030, 1, 1)


def _counts(results) -> dict[str, int]:
    return {result.code: result.count for result in results}


def _about(record) -> int:
    return db.session.scalar(select(func.count()).where(AccessLogEntry.person_id == record.id)) or 0


def _by(email: str) -> list[AccessLogEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.actor_email == email)))


def _colleague(org) -> Employee:
    """A member of staff still at the school, with addresses of her own."""
    record = make.employee(org, left=None, email="jdavies@elm.sch.example")
    record.forename, record.surname, record.personal_email = "Jane", "Davies", "jane@example.org"
    db.session.flush()
    return record


def _school():
    """A school with a pupil who left in 2026 (anonymised in 2028, their
    contact deleted in 2027), a pupil on roll, a teacher who left in 2029 and
    a colleague still there."""
    org = make.school()
    leaver, staying = make.pupil(org, left=date(2026, 7, 17)), make.pupil(org)
    return org, leaver, staying, make.contact(org, leaver), make.employee(org, left=date(2029, 8, 31))


def test_entries_about_records_deleted_or_anonymised_go_and_others_stay(app):
    org, leaver, staying, parent, teacher = _school()
    colleague = _colleague(org)
    for person in (leaver, staying, parent, teacher, colleague):
        make.entry(org, person, actor=colleague)
    results = _counts(sweep(AS_OF))
    assert results["access_log_after_records"] == 3
    assert (_about(leaver), _about(parent), _about(teacher)) == (0, 0, 0)
    assert (_about(staying), _about(colleague)) == (1, 1)


def test_a_former_member_of_staff_stays_named_on_what_they_opened_while_it_is_kept(app):
    org, leaver, staying, _parent, teacher = _school()
    make.entry(org, staying, actor=teacher)
    make.entry(org, leaver, actor=teacher)
    sweep(AS_OF)
    db.session.commit()
    assert db.session.get(Employee, teacher.id, populate_existing=True).work_email is None
    # Her look at the pupil still on roll is that pupil's security record,
    # as she logged it; her look at the anonymised pupil went with him.
    kept = _by("mhughes@elm.sch.example")
    assert [(e.person_id, e.actor_name) for e in kept] == [(staying.id, "Margaret Hughes")]


def test_a_record_anonymised_or_deleted_before_loses_its_entries_on_the_next_sweep(app):
    org, leaver, staying, parent, teacher = _school()
    sweep(AS_OF)  # the records go first, as they did before the access log was swept
    for person in (leaver, staying, parent, teacher):
        make.entry(org, person)
    assert _counts(sweep(AS_OF, dry_run=True))["access_log_after_records"] == 3
    assert _counts(sweep(AS_OF))["access_log_after_records"] == 3
    assert (_about(leaver), _about(parent), _about(teacher), _about(staying)) == (0, 0, 0, 1)
    assert all(result.count == 0 for result in sweep(AS_OF))


def test_a_dry_run_counts_the_entries_and_permissions_the_real_run_takes(app):
    org, leaver, staying, parent, teacher = _school()
    colleague = _colleague(org)
    theirs, hers = make.grant(org, teacher), make.grant(org, colleague)
    for person in (leaver, staying, parent, teacher):
        make.entry(org, person, actor=colleague)
        make.entry(org, person, under=theirs)
        make.entry(org, person, under=hers)
    make.estate()
    db.session.commit()
    dry = _counts(sweep(AS_OF, dry_run=True))
    db.session.commit()
    assert make.count(AccessLogEntry) == 12 and make.count(SupportAccessGrant) == 2
    real = _counts(sweep(AS_OF))
    db.session.commit()
    assert real == dry
    # The teacher's permission still covers the support team's look at the
    # pupil on roll: it stays until that entry goes.
    assert (real["access_log_after_records"], real["support_access_after_records"]) == (9, 0)


def test_a_permission_goes_with_its_givers_record_once_no_kept_entry_was_made_under_it(app):
    org, leaver, staying, _parent, teacher = _school()
    colleague = _colleague(org)
    only_the_leaver, also_staying = make.grant(org, teacher), make.grant(org, teacher)
    unused, colleagues = make.grant(org, teacher), make.grant(org, colleague)
    make.entry(org, leaver, under=only_the_leaver)
    make.entry(org, leaver, under=also_staying)
    make.entry(org, staying, under=also_staying)
    make.entry(org, staying, under=colleagues)
    dry = _counts(sweep(AS_OF, dry_run=True))
    real = _counts(sweep(AS_OF))
    assert dry == real and real["support_access_after_records"] == 2
    left = set(db.session.scalars(select(SupportAccessGrant.id)))
    assert left == {also_staying.id, colleagues.id}
    assert unused.id not in left and only_the_leaver.id not in left


def test_legal_holds_keep_the_entries_they_cover(app):
    org, leaver, _staying, _parent, _teacher = _school()
    colleague = _colleague(org)
    held_school = make.school()
    held_child = make.pupil(held_school, left=date(2020, 7, 17))
    sweep(AS_OF)  # both pupils are anonymised before the holds
    by_colleague, by_support = make.entry(org, leaver, actor=colleague), make.entry(org, leaver)
    about_held_child = make.entry(held_school, held_child)
    make.hold(HoldSubject.ORGANISATION, held_school.id)
    make.hold(HoldSubject.EMPLOYEE, colleague.id)
    assert _counts(sweep(AS_OF))["access_log_after_records"] == 1
    left = set(db.session.scalars(select(AccessLogEntry.id)))
    # The colleague's look is evidence the hold on her keeps; the held school
    # keeps the entries about its anonymised pupil.
    assert left == {by_colleague.id, about_held_child.id} and by_support.id not in left


def test_a_period_counts_from_the_anonymisation(app):
    db.session.execute(
        update(RetentionRule).where(RetentionRule.code == "access_log_after_records").values(period_count=1)
    )
    org, leaver, _staying, _parent, _teacher = _school()
    make.entry(org, leaver)
    make.entry(org, leaver)
    db.session.execute(update(Pupil).where(Pupil.id == leaver.id).values(anonymised_at=date(2029, 12, 1)))
    for as_of, taken in ((date(2029, 12, 31), 0), (date(2030, 1, 1), 2)):
        assert _counts(sweep(as_of, dry_run=True))["access_log_after_records"] == taken
        assert _counts(sweep(as_of))["access_log_after_records"] == taken


def _made_on(entry: AccessLogEntry, day: date) -> AccessLogEntry:
    entry.occurred_at = make.at(day)
    db.session.flush()
    return entry


def test_a_period_counts_from_the_entry_when_the_record_is_deleted(app):
    db.session.execute(
        update(RetentionRule).where(RetentionRule.code == "access_log_after_records").values(period_count=1)
    )
    org, _leaver, _staying, parent, _teacher = _school()
    older = _made_on(make.entry(org, parent), date(2029, 12, 1))
    newer = _made_on(make.entry(org, parent), date(2029, 12, 20))
    db.session.execute(delete(Contact).where(Contact.id == parent.id))
    # The contact is gone from the start; each entry goes a month after it was made.
    for as_of, taken in (
        (date(2029, 12, 31), set()),
        (date(2030, 1, 1), {older.id}),
        (date(2030, 1, 20), {newer.id}),
    ):
        left = set(db.session.scalars(select(AccessLogEntry.id)))
        assert _counts(sweep(as_of, dry_run=True))["access_log_after_records"] == len(taken)
        assert _counts(sweep(as_of))["access_log_after_records"] == len(taken)
        assert left - set(db.session.scalars(select(AccessLogEntry.id))) == taken


def test_a_contact_deleted_in_the_same_sweep_keeps_its_entries_younger_than_the_period(app):
    db.session.execute(
        update(RetentionRule).where(RetentionRule.code == "access_log_after_records").values(period_count=1)
    )
    org, _leaver, _staying, parent, _teacher = _school()
    old = make.entry(org, parent)  # 2021
    recent = _made_on(make.entry(org, parent), date(2029, 12, 15))
    dry = _counts(sweep(AS_OF, dry_run=True))
    real = _counts(sweep(AS_OF))
    assert dry == real and (real["contacts_after_pupils"], real["access_log_after_records"]) == (1, 1)
    assert set(db.session.scalars(select(AccessLogEntry.id))) == {recent.id} and old.id != recent.id
    assert _counts(sweep(date(2030, 1, 15)))["access_log_after_records"] == 1


def test_what_an_erasure_kept_stays_until_its_case_record_is_reduced(app, db_session):
    world, actor, case = erasure_world(app, db_session)
    build_plan(case, actor)
    db.session.commit()
    erasure.approve(case, actor)
    db.session.commit()
    erasure.execute(case, actor)
    db.session.commit()
    amelia = db.session.get(Pupil, world.amelia.id, populate_existing=True)
    assert amelia.anonymised_at is not None and _about(amelia) > 0
    kept = _about(amelia)
    assert _counts(sweep(amelia.anonymised_at))["access_log_after_records"] == 0
    assert _about(amelia) == kept
    # Reducing the case record deletes its confirmed matches: from then on
    # the entries follow the anonymised record like any other.
    db.session.execute(delete(CaseCandidate).where(CaseCandidate.case_id == case.id))
    assert _counts(sweep(amelia.anonymised_at))["access_log_after_records"] >= kept
    assert _about(amelia) == 0
