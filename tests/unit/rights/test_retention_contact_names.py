"""Deleting a parent's contact record takes them off the correspondence kept
for others (``app.rights.contact_text``): their full names in the text of
messages and tickets at their school, their address as sender or recipient,
their tags. A family's shared address, other schools and held records keep
what they have; a first name alone stays."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.rights.messages import NAME_REMOVED
from app.rights.models import HoldSubject
from app.rights.retention import sweep
from app.sources.contacts.models import Contact
from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient
from app.sources.helpdesk.models import Ticket, TicketEntry
from tests.unit.rights import factory as make

LEFT = date(2025, 8, 31)
DUE = date(2026, 2, 28)  # six months after the child left; the child is not yet anonymised
LETTER = "Dear Mrs O'Brien, Aoife did well. Siobhan O'Brien and Siobhan both came; Mrs O'Briens did not."
LETTER_DONE = (
    f"Dear {NAME_REMOVED}, Aoife did well. {NAME_REMOVED} and Siobhan both came; Mrs O'Briens did not."
)


def _counts(results) -> dict[str, int]:
    return {result.code: result.count for result in results}


def _world():
    org = make.school()
    child = make.pupil(org, forename="Aoife", surname="O'Brien", left=LEFT)
    classmate = make.pupil(org, forename="Noah", surname="Price")
    parent = make.contact(org, child)
    letter = make.message(org, about=[child, parent, classmate])
    letter.subject, letter.body = "Siobhan O'Brien: trip", LETTER
    written = make.message(org, about=[parent])
    written.sender_name, written.sender_email = "Siobhan O'Brien", "Siobhan@Example.org"
    db.session.flush()
    return org, parent, letter, written


def _message(letter: Message) -> tuple[str, str, str | None, str | None]:
    fresh = db.session.get(Message, letter.id, populate_existing=True)
    return fresh.subject, fresh.body, fresh.sender_name, fresh.sender_email


def _recipients(letter: Message) -> list[str]:
    return sorted(
        db.session.scalars(select(MessageRecipient.email).where(MessageRecipient.message_id == letter.id))
    )


def _tags(letter: Message) -> int:
    return len(
        db.session.scalars(select(MessagePerson.id).where(MessagePerson.message_id == letter.id)).all()
    )


def test_a_deleted_contacts_names_and_address_leave_the_messages_kept_at_their_school(app):
    _org, parent, letter, written = _world()
    assert _counts(sweep(DUE))["contacts_after_pupils"] == 1
    assert db.session.get(Contact, parent.id, populate_existing=True) is None
    subject, body, sender, _address = _message(letter)
    assert (subject, body) == (f"{NAME_REMOVED}: trip", LETTER_DONE)
    assert sender == "Margaret Hughes"  # the member of staff who wrote it stays
    assert _recipients(letter) == []
    assert _tags(letter) == 2  # the child and the classmate
    # A message the parent wrote keeps its text but not their name or address.
    assert _message(written)[2:] == (NAME_REMOVED, None)


def test_a_deleted_contacts_name_leaves_the_tickets_at_their_school(app):
    org, _parent, _letter, _written = _world()
    raised = make.ticket(org)
    raised.subject = "Letter to Mrs O'Brien bounced"
    db.session.execute(
        TicketEntry.__table__.update()
        .where(TicketEntry.ticket_id == raised.id)
        .values(body="Siobhan O'Brien says she never got it")
    )
    sweep(DUE)
    assert (
        db.session.get(Ticket, raised.id, populate_existing=True).subject
        == f"Letter to {NAME_REMOVED} bounced"
    )
    lines = db.session.scalars(select(TicketEntry.body).where(TicketEntry.ticket_id == raised.id)).all()
    assert lines == [f"{NAME_REMOVED} says she never got it"]


def test_an_address_the_family_shares_stays_with_the_contact_still_held(app):
    org, _parent, letter, _written = _world()
    make.contact(org, make.pupil(org, forename="Cian", surname="O'Brien"), forename="Siobhan")
    # The second record (the same parent at a sibling's record, still on roll) has the same address.
    sweep(DUE)
    assert _recipients(letter) == ["siobhan@example.org"]


def test_another_schools_messages_keep_the_same_name(app):
    _world()
    oak = make.school("Oak Primary School")
    namesake = make.contact(oak, make.pupil(oak, forename="Liam", surname="O'Brien"))
    at_oak = make.message(oak, about=[namesake])
    before = (_message(at_oak), _recipients(at_oak))
    sweep(DUE)
    assert (_message(at_oak), _recipients(at_oak)) == before


@pytest.mark.parametrize("held", ["school", "classmate"])
def test_held_messages_keep_the_contacts_name_and_address(app, held):
    org, _parent, letter, _written = _world()
    classmate = db.session.scalars(select(MessagePerson.pupil_id).where(
        MessagePerson.message_id == letter.id, MessagePerson.pupil_id.is_not(None)
    )).all()  # fmt: skip
    if held == "school":
        make.hold(HoldSubject.ORGANISATION, org.id)
    else:
        for pupil_id in classmate:
            make.hold(HoldSubject.PUPIL, pupil_id)
    sweep(DUE)
    assert _message(letter)[:2] == ("Siobhan O'Brien: trip", LETTER)
    assert _recipients(letter) == ["siobhan@example.org"]


def test_a_second_sweep_changes_nothing_more(app):
    _org, _parent, letter, written = _world()
    dry = _counts(sweep(DUE, dry_run=True))
    assert _counts(sweep(DUE)) == dry
    after = (_message(letter), _message(written), _recipients(letter))
    assert _counts(sweep(DUE))["contacts_after_pupils"] == 0
    assert (_message(letter), _message(written), _recipients(letter)) == after


def test_the_parents_address_stays_at_another_school_where_they_are_still_a_contact(app):
    _world()
    oak = make.school("Oak Primary School")
    # The same parent, still a contact at Oak (a younger child on roll there),
    # and another Oak parent whose child left, so Oak loses a contact too.
    make.contact(oak, make.pupil(oak, forename="Cian", surname="O'Brien"), forename="Siobhan")
    make.contact(oak, make.pupil(oak, forename="Ava", surname="Kerr", left=LEFT), forename="Mairead")
    at_oak = make.message(oak)
    assert _counts(sweep(DUE))["contacts_after_pupils"] == 2
    assert _recipients(at_oak) == ["siobhan@example.org"]
