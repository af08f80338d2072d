"""What the sweeper leaves behind: legal holds honoured, anonymised pupils
and employees, and the rows deleted records take with them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.rights.models import HoldSubject
from app.rights.retention import ANONYMISED_UPN, CONSENT_EVIDENCE_REMOVED, sweep
from app.sources.consent.models import ConsentDecision, ConsentMethod, ConsentRecord, wording_sha256
from app.sources.contacts.models import Contact, PupilContact
from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient
from app.sources.employees.models import Employee
from app.sources.helpdesk.models import Ticket, TicketEntry
from app.sources.protocol import PersonKind
from app.sources.pupils.models import Assessment, AttendanceWeek, Enrolment, Pupil, SendRecord
from app.sources.validation import FieldError, check_upn
from tests.unit.rights import factory as make


def _counts(results) -> dict[str, int]:
    return {result.code: result.count for result in results}


@pytest.mark.parametrize("released", [False, True], ids=["active-hold", "released-hold"])
def test_a_hold_on_an_organisation_keeps_all_of_its_records(app, released):
    estate = make.estate()
    make.hold(HoldSubject.ORGANISATION, estate["ended"].id, released=released)
    make.hold(HoldSubject.ORGANISATION, estate["active"].id, released=released)
    total = sum(r.count for r in sweep(date(2030, 1, 1)))
    assert total == (10 if released else 0)


def test_a_hold_on_a_person_keeps_them_and_what_names_them(app):
    estate = make.estate()
    leaver, teacher = estate["leaver"], estate["teacher"]
    make.hold(HoldSubject.PUPIL, leaver.id)
    make.hold(HoldSubject.EMPLOYEE, teacher.id)
    results = _counts(sweep(date(2030, 1, 1)))
    # Still taken: the ended school's records (its message and ticket name
    # only the pupil "both"), its contact and the setup file.
    assert results == {
        "correspondence_after_contract": 1, "correspondence_of_leavers": 0, "helpdesk_after_contract": 1,
        "helpdesk_of_leavers": 0, "contacts_after_pupils": 1, "pupils_after_contract": 1, "pupils_leavers": 0,
        "employees_leavers": 0,
        "access_log_after_records": 0, "support_access_after_records": 0, "setup_after_processing": 1,
    }  # fmt: skip
    assert db.session.get(Pupil, leaver.id, populate_existing=True).anonymised_at is None
    assert db.session.scalar(select(func.count()).where(MessagePerson.pupil_id == leaver.id)) == 1
    assert db.session.scalar(select(func.count()).where(Ticket.about_pupil_id == leaver.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(PupilContact)
                             .where(PupilContact.pupil_id == leaver.id)) == 1  # fmt: skip


def test_a_hold_on_a_contact_or_on_a_person_a_message_names(app):
    ended = make.school(contract_end=date(2020, 3, 31))
    child = make.pupil(ended)
    parent = make.contact(ended, child)
    about_parent = make.message(ended, about=[parent])
    make.hold(HoldSubject.CONTACT, parent.id)
    results = _counts(sweep(date(2024, 1, 1)))
    assert results["contacts_after_pupils"] == 0 and results["correspondence_after_contract"] == 0
    assert db.session.get(Message, about_parent.id) is not None


def test_anonymising_a_pupil_leaves_nothing_that_identifies_them(app):
    estate = make.estate()
    leaver = estate["leaver"]
    sweep(date(2030, 1, 1))
    db.session.commit()
    pupil = db.session.get(Pupil, leaver.id, populate_existing=True)
    assert (pupil.legal_forename, pupil.legal_surname, pupil.surname_key) == ("Anonymised", "Anonymised",
                                                                              "anonymised")  # fmt: skip
    assert (pupil.middle_names, pupil.preferred_forename, pupil.preferred_surname, pupil.former_upn) == (
        None, None, None, None)  # fmt: skip
    assert (pupil.address_line1, pupil.address_line2, pupil.town, pupil.postcode) == (None, None, None, None)
    assert (pupil.ethnicity, pupil.first_language) == (None, None)
    assert pupil.upn == ANONYMISED_UPN
    with pytest.raises(FieldError):
        check_upn(pupil.upn)
    assert pupil.date_of_birth == date(2013, 1, 1)
    assert (pupil.gender, pupil.fsm_eligible, pupil.anonymised_at) == ("F", True, date(2030, 1, 1))
    assert db.session.scalar(select(func.count()).where(SendRecord.pupil_id == leaver.id)) == 0
    for kept in (AttendanceWeek, Assessment, Enrolment):
        mine = select(func.count()).select_from(kept).where(kept.pupil_id == leaver.id)
        assert db.session.scalar(mine) == 1
    # The active school's message survives, no longer tagged with the pupil;
    # the ticket about them survives without the link.
    assert db.session.scalar(select(func.count()).where(MessagePerson.pupil_id == leaver.id)) == 0
    assert db.session.scalar(select(func.count()).where(MessagePerson.pupil_id == estate["staying"].id)) == 1
    assert db.session.scalar(select(func.count()).where(Ticket.about_pupil_id == leaver.id)) == 0
    assert make.count(Ticket) == 1


def test_anonymising_a_pupil_leaves_records_held_for_someone_else_linked(app):
    # The leaver's message also names "staying", and the ticket about them
    # was raised by the teacher: holds on those two keep both records as
    # they were, links included, though the leaver is anonymised.
    estate = make.estate()
    leaver = estate["leaver"]
    make.hold(HoldSubject.PUPIL, estate["staying"].id)
    make.hold(HoldSubject.EMPLOYEE, estate["teacher"].id)
    sweep(date(2030, 1, 1))
    db.session.commit()
    assert db.session.get(Pupil, leaver.id, populate_existing=True).anonymised_at == date(2030, 1, 1)
    assert db.session.scalar(select(func.count()).where(MessagePerson.pupil_id == leaver.id)) == 1
    assert db.session.scalar(select(func.count()).where(Ticket.about_pupil_id == leaver.id)) == 1
    assert db.session.scalar(select(func.count()).where(SendRecord.pupil_id == leaver.id)) == 0


def test_a_released_hold_no_longer_keeps_the_links(app):
    estate = make.estate()
    leaver = estate["leaver"]
    make.hold(HoldSubject.EMPLOYEE, estate["teacher"].id, released=True)
    sweep(date(2030, 1, 1))
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(MessagePerson.pupil_id == leaver.id)) == 0
    assert db.session.scalar(select(func.count()).where(Ticket.about_pupil_id == leaver.id)) == 0


def test_anonymising_an_employee_keeps_the_name_only(app):
    estate = make.estate()
    sweep(date(2030, 1, 1))
    db.session.commit()
    teacher = db.session.get(Employee, estate["teacher"].id, populate_existing=True)
    assert (teacher.title, teacher.forename, teacher.preferred_name, teacher.surname) == (
        "Ms", "Margaret", "Maggie", "Hughes")  # fmt: skip
    assert (teacher.date_of_birth, teacher.work_email, teacher.personal_email, teacher.phone,
            teacher.teacher_reference_number) == (None, None, None, None, None)  # fmt: skip
    assert (teacher.gender, teacher.role, teacher.teaching_status) == ("U", "Former employee", "Not recorded")
    assert teacher.anonymised_at == date(2030, 1, 1)
    assert teacher.leave_date == date(2029, 8, 31)


def test_deleting_takes_the_dependent_rows_with_it(app):
    make.estate()
    sweep(date(2030, 1, 1))
    db.session.commit()
    # The ended school's message, its recipient and tag, and its ticket's entry
    # went; the active school's message lost its recipient, the parent whose
    # contact record went (``contact_text``).
    assert (make.count(Message), make.count(MessageRecipient), make.count(TicketEntry)) == (1, 0, 1)
    # Both contacts went, with their pupil links.
    assert make.count(Contact) == 0 and make.count(PupilContact) == 0
    # The active message keeps the staying pupil's tag; the teacher, who left, came off it.
    assert make.count(MessagePerson) == 1


def _consent(org, kind: PersonKind, person_id, evidence: str | None) -> ConsentRecord:
    wording = "May we use photographs of your child on the school website?"
    row = ConsentRecord(
        organisation_id=org.id, person_kind=kind, person_id=person_id, purpose="photos_website",
        decision=ConsentDecision.GRANTED, wording=wording, wording_version="2024-1",
        wording_sha256=wording_sha256(wording), method=ConsentMethod.PAPER_SIGNATURE, evidence=evidence,
        recorded_by="School office",
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    return row


def test_consent_entries_outlive_the_records_without_naming_the_family(app):
    ended = make.school(contract_end=date(2020, 3, 31))
    child = make.pupil(ended, left=date(2019, 7, 19))
    parent = make.contact(ended, child)
    active = make.school("Oak Primary School")
    staying = make.pupil(active)
    named = "Given by Mrs Siobhan O'Brien (mother); signed form scanned to the pupil file"
    about_child = _consent(ended, PersonKind.PUPIL, child.id, named)
    signed = "Signed by Siobhan O'Brien at parents' evening"
    about_parent = _consent(ended, PersonKind.CONTACT, parent.id, signed)
    about_staying = _consent(active, PersonKind.PUPIL, staying.id, named)
    no_evidence = _consent(ended, PersonKind.PUPIL, child.id, None)
    db.session.commit()
    before = {row.id: (row.decision, row.wording_sha256, row.recorded_at) for row in db.session.scalars(
        select(ConsentRecord))}  # fmt: skip

    results = _counts(sweep(date(2024, 1, 1)))
    db.session.commit()
    assert results["pupils_after_contract"] == 1 and results["contacts_after_pupils"] == 1

    def evidence(row: ConsentRecord) -> str | None:
        return db.session.get(ConsentRecord, row.id, populate_existing=True).evidence

    # The entries stay (evidence consent was given) but name nobody now.
    assert evidence(about_child) == CONSENT_EVIDENCE_REMOVED
    assert evidence(about_parent) == CONSENT_EVIDENCE_REMOVED
    assert evidence(no_evidence) is None
    assert evidence(about_staying) == named  # a pupil still on roll keeps hers
    after = {row.id: (row.decision, row.wording_sha256, row.recorded_at) for row in db.session.scalars(
        select(ConsentRecord))}  # fmt: skip
    assert after == before
    # A second sweep changes nothing more.
    assert sum(_counts(sweep(date(2024, 1, 1))).values()) == 0
    assert evidence(about_child) == CONSENT_EVIDENCE_REMOVED
