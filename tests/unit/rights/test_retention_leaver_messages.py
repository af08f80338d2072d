"""Rule ``correspondence_of_leavers``: when the schedule anonymises a member
of staff, one month after they leave, they come off the messages kept for
the others in them (sender name and address, recipient rows, tags, their
name in the text), as an erasure takes them off; the messages stay."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.rights.messages import NAME_REMOVED
from app.rights.models import HoldSubject
from app.rights.retention import sweep
from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient
from app.sources.employees.models import Employee
from tests.unit.rights import factory as make

LEFT = date(2029, 8, 31)
DUE = date(2029, 9, 30)  # a month after leaving
SIGNED = "Dear Mrs O'Brien, Aoife did well.\n\nKind regards,\nMs Hughes\nClass teacher"


def _counts(results) -> dict[str, int]:
    return {result.code: result.count for result in results}


def _letters(org, teacher: Employee, pupil) -> dict[str, Message]:
    """What the teacher wrote (from her work address, typed in capitals),
    what a parent wrote to her home address and a colleague, and a message
    another colleague tagged her in."""
    sent = make.message(org, about=[pupil])
    sent.sender_email, sent.body = teacher.work_email.upper(), SIGNED
    received = make.message(org)
    received.sender_name, received.sender_email = "Siobhan O'Brien", "siobhan@example.org"
    received.body = "Dear Maggie Hughes and Mr Hughesworth, thank you."
    db.session.add(MessageRecipient(message_id=received.id, kind="cc", name="Maggie Hughes",
                                    email=teacher.personal_email))  # fmt: skip
    tagged = make.message(org, about=[pupil, teacher])
    tagged.sender_name, tagged.sender_email = "Alan Head", "head@elm.sch.example"
    tagged.subject, tagged.body = "Trip cover: Margaret Hughes", "Margaret Hughes will cover the trip."
    db.session.flush()
    return {"sent": sent, "received": received, "tagged": tagged}


def _world():
    org = make.school()
    pupil = make.pupil(org)
    teacher = make.employee(org, left=LEFT)
    return org, pupil, teacher, _letters(org, teacher, pupil)


def _fresh(message: Message) -> Message:
    return db.session.get(Message, message.id, populate_existing=True)


def _recipients(message: Message) -> list[str]:
    query = select(MessageRecipient.email).where(MessageRecipient.message_id == message.id)
    return sorted(db.session.scalars(query))


def _tags(message: Message) -> list[str]:
    query = select(MessagePerson.person_kind).where(MessagePerson.message_id == message.id)
    return sorted(kind.value for kind in db.session.scalars(query))


def test_a_leavers_messages_lose_her_name_and_addresses_and_stay_for_the_others(app):
    _org, _pupil, teacher, letters = _world()
    results = _counts(sweep(DUE))
    assert (results["correspondence_of_leavers"], results["employees_leavers"]) == (3, 1)
    sent, received, tagged = (_fresh(letters[k]) for k in ("sent", "received", "tagged"))
    assert (sent.sender_name, sent.sender_email) == (NAME_REMOVED, None)
    assert sent.body == SIGNED.replace("Ms Hughes", NAME_REMOVED)
    assert _recipients(sent) == ["siobhan@example.org"] and _tags(sent) == ["pupil"]
    # The parent's message keeps its sender and its other recipient; "Mr
    # Hughesworth" is somebody else.
    assert (received.sender_name, received.sender_email) == ("Siobhan O'Brien", "siobhan@example.org")
    assert received.body == f"Dear {NAME_REMOVED} and Mr Hughesworth, thank you."
    assert _recipients(received) == ["siobhan@example.org"]
    assert tagged.body == f"{NAME_REMOVED} will cover the trip." and _tags(tagged) == ["pupil"]
    assert tagged.subject == f"Trip cover: {NAME_REMOVED}"
    assert tagged.sender_email == "head@elm.sch.example"
    assert make.count(Message) == 3
    anonymised = db.session.get(Employee, teacher.id, populate_existing=True)
    assert (anonymised.surname, anonymised.work_email) == ("Hughes", None)


def test_a_dry_run_counts_the_messages_the_real_run_changes_and_a_second_run_none(app):
    _world()
    make.estate()
    dry = _counts(sweep(DUE, dry_run=True))
    assert make.count(MessageRecipient) == 6
    real = _counts(sweep(DUE))
    # Hers, and the other school's leaver's message (``estate``).
    assert real == dry and real["correspondence_of_leavers"] == 4
    assert all(result.count == 0 for result in sweep(DUE))


def test_a_leaver_keeps_her_messages_until_the_month_is_over(app):
    _org, _pupil, _teacher, letters = _world()
    assert _counts(sweep(DUE - timedelta(days=1)))["correspondence_of_leavers"] == 0
    assert _fresh(letters["sent"]).sender_email == "MHUGHES@ELM.SCH.EXAMPLE"
    assert _counts(sweep(DUE))["correspondence_of_leavers"] == 3


def test_staff_still_there_and_the_same_address_at_another_school_are_untouched(app):
    org, pupil, _teacher, letters = _world()
    colleague = make.employee(org, left=None, email="jdavies@elm.sch.example")
    colleague.personal_email = "jane@example.org"
    from_colleague = make.message(org, about=[pupil, colleague])
    from_colleague.sender_email = colleague.work_email
    # She also teaches at another school, where she has not left.
    elsewhere = make.school("Oak Primary School")
    still_there = make.employee(elsewhere, left=None)
    at_oak = make.message(elsewhere, about=[still_there])
    at_oak.sender_email, at_oak.body = still_there.work_email, SIGNED
    db.session.flush()
    assert _counts(sweep(DUE))["correspondence_of_leavers"] == 3
    assert _fresh(from_colleague).sender_email == "jdavies@elm.sch.example"
    assert _tags(from_colleague) == ["employee", "pupil"]
    oak = _fresh(at_oak)
    assert (oak.sender_email, oak.body) == ("mhughes@elm.sch.example", SIGNED) and _tags(oak) == ["employee"]
    assert _fresh(letters["sent"]).sender_email is None


def test_a_hold_on_a_pupil_keeps_the_messages_naming_them_as_they_are(app):
    _org, pupil, _teacher, letters = _world()
    make.hold(HoldSubject.PUPIL, pupil.id)
    # The parent's letter names no one held; the two tagged with the pupil stay whole.
    assert _counts(sweep(DUE))["correspondence_of_leavers"] == 1
    assert _fresh(letters["sent"]).sender_email == "MHUGHES@ELM.SCH.EXAMPLE"
    assert _tags(letters["tagged"]) == ["employee", "pupil"]
    assert _recipients(letters["received"]) == ["siobhan@example.org"]


@pytest.mark.parametrize("kind", [HoldSubject.ORGANISATION, HoldSubject.EMPLOYEE])
def test_a_hold_on_the_school_or_the_leaver_keeps_all_her_messages(app, kind):
    org, _pupil, teacher, letters = _world()
    make.hold(kind, org.id if kind is HoldSubject.ORGANISATION else teacher.id)
    assert _counts(sweep(DUE))["correspondence_of_leavers"] == 0
    assert _fresh(letters["sent"]).body == SIGNED
    assert _recipients(letters["received"]) == ["maggie@example.org", "siobhan@example.org"]
    assert _tags(letters["tagged"]) == ["employee", "pupil"]


def test_a_full_subject_line_keeps_its_length_when_a_short_name_is_replaced(app):
    # "Ms Hughes" is shorter than the text that replaces it: a subject already
    # at its column's 300 characters must still fit, or the sweep would fail.
    _org, _pupil, _teacher, letters = _world()
    letters["tagged"].subject = "Ms Hughes " + "x" * 290
    db.session.flush()
    sweep(DUE)
    subject = _fresh(letters["tagged"]).subject
    assert len(subject) == 300 and subject.startswith(f"{NAME_REMOVED} xxx")
