"""Anonymising a pupil takes the child's name out of the text kept for
others: their full name in every message and ticket at their school, their
first name alone in the messages tagged with them and the tickets about them
(``app.rights.pupil_text``); held records and other schools are untouched."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.rights.messages import NAME_REMOVED
from app.rights.models import HoldSubject
from app.rights.retention import sweep
from app.sources.correspondence.models import Message
from app.sources.helpdesk.models import Ticket, TicketEntry, TicketSummaryEmail
from tests.unit.rights import factory as make

LEFT = date(2026, 7, 17)
DUE = date(2030, 1, 1)  # two academic years after leaving
ABOUT = "Thank you for your message about Elliot Smith. Elliot (Ellie Smith to friends) is settling in."
ABOUT_DONE = (
    f"Thank you for your message about {NAME_REMOVED}. "
    f"{NAME_REMOVED} ({NAME_REMOVED} to friends) is settling in."
)
UNTAGGED = "Elliot Rowan Smith and Elliot were on the trip; Ellie Smithson was not."
UNTAGGED_DONE = f"{NAME_REMOVED} and Elliot were on the trip; Ellie Smithson was not."


def _counts(results) -> dict[str, int]:
    return {result.code: result.count for result in results}


def _child(org, **kwargs):
    child = make.pupil(org, forename="Elliot", surname="Smith", **kwargs)
    child.middle_names, child.preferred_forename = "Rowan", "Ellie"
    db.session.flush()
    return child


def _letter(org, body: str, *, about=(), subject: str = "Trip") -> Message:
    letter = make.message(org, about=list(about))
    letter.subject, letter.body = subject, body
    db.session.flush()
    return letter


def _texts(letter: Message) -> tuple[str, str]:
    fresh = db.session.get(Message, letter.id, populate_existing=True)
    return fresh.subject, fresh.body


def _world():
    org = make.school()
    child = _child(org, left=LEFT)
    classmate = make.pupil(org, forename="Noah", surname="Price")
    tagged = _letter(org, ABOUT, about=[child, classmate], subject="Elliot Smith: trip")
    untagged = _letter(org, UNTAGGED, about=[classmate])
    return org, child, classmate, tagged, untagged


def _ticket_texts(ticket: Ticket) -> tuple[str, list[str], list[tuple[str, str]]]:
    fresh = db.session.get(Ticket, ticket.id, populate_existing=True)
    lines = db.session.scalars(select(TicketEntry.body).where(TicketEntry.ticket_id == ticket.id))
    summaries = db.session.execute(
        select(TicketSummaryEmail.subject, TicketSummaryEmail.body).where(
            TicketSummaryEmail.ticket_id == ticket.id
        )
    )
    return fresh.subject, sorted(lines), sorted(tuple(row) for row in summaries)


def _ticket(
    org, child=None, *, subject: str = "Marks for Elliot Smith", line: str = "Elliot's marks"
) -> Ticket:
    raised = make.ticket(org, about=child)
    raised.subject = subject
    db.session.execute(
        TicketEntry.__table__.update().where(TicketEntry.ticket_id == raised.id).values(body=line)
    )
    make.summary(
        raised, to="mhughes@elm.sch.example", body=f"We fixed {line}; Ellie Smith's record is right."
    )
    return raised


def test_an_anonymised_pupils_name_leaves_the_messages_kept_at_their_school(app):
    _org, _child, _classmate, tagged, untagged = _world()
    assert _counts(sweep(DUE))["pupils_leavers"] == 1
    # Tagged with the child: full names and the first name alone go.
    assert _texts(tagged) == (f"{NAME_REMOVED}: trip", ABOUT_DONE)
    # Not tagged with the child: the full name goes, the first name alone
    # and a longer surname stay.
    assert _texts(untagged) == ("Trip", UNTAGGED_DONE)


def test_an_anonymised_pupils_name_leaves_the_tickets_at_their_school(app):
    org, child, _classmate, _tagged, _untagged = _world()
    about = _ticket(org, child)
    other = _ticket(org, subject="Elliot Smith again", line="Elliot is fine")
    sweep(DUE)
    assert _ticket_texts(about) == (
        f"Marks for {NAME_REMOVED}",
        [f"{NAME_REMOVED}'s marks"],
        [(f"Summary of your support request: Marks for {NAME_REMOVED}",
          f"We fixed {NAME_REMOVED}'s marks; {NAME_REMOVED}'s record is right.")],
    )  # fmt: skip
    # Not about the child: full names only.
    assert _ticket_texts(other) == (
        f"{NAME_REMOVED} again",
        ["Elliot is fine"],
        [(f"Summary of your support request: {NAME_REMOVED} again",
          f"We fixed Elliot is fine; {NAME_REMOVED}'s record is right.")],
    )  # fmt: skip


def test_another_schools_messages_and_tickets_keep_the_same_name(app):
    _world()
    oak = make.school("Oak Primary School")
    namesake = _child(oak)  # still on roll
    at_oak = _letter(oak, ABOUT, about=[namesake], subject="Elliot Smith: trip")
    raised = _ticket(oak, namesake)
    before = _ticket_texts(raised)
    sweep(DUE)
    assert _texts(at_oak) == ("Elliot Smith: trip", ABOUT)
    assert _ticket_texts(raised) == before


def test_a_second_sweep_changes_no_text_and_the_dry_run_counts_the_pupils(app):
    org, child, _classmate, tagged, untagged = _world()
    _ticket(org, child)
    dry = _counts(sweep(DUE, dry_run=True))
    first = _counts(sweep(DUE))
    assert first == dry and first["pupils_leavers"] == 1
    after = (_texts(tagged), _texts(untagged))
    # A message written since: the anonymised record no longer names anyone.
    later = _letter(org, ABOUT, about=[child])
    assert all(result.count == 0 for result in sweep(DUE))
    assert (_texts(tagged), _texts(untagged)) == after
    assert _texts(later) == ("Trip", ABOUT)


@pytest.mark.parametrize("held", ["school", "classmate"])
def test_held_messages_and_tickets_keep_the_name(app, held):
    org, child, classmate, tagged, untagged = _world()
    raised = _ticket(org, child)
    before = _ticket_texts(raised)
    if held == "school":
        make.hold(HoldSubject.ORGANISATION, org.id)
        assert _counts(sweep(DUE))["pupils_leavers"] == 0
        assert _ticket_texts(raised) == before
    else:
        # Both messages tag the classmate; the ticket does not name them.
        make.hold(HoldSubject.PUPIL, classmate.id)
        assert _counts(sweep(DUE))["pupils_leavers"] == 1
        assert _ticket_texts(raised)[0] == f"Marks for {NAME_REMOVED}"
    assert _texts(tagged) == ("Elliot Smith: trip", ABOUT)
    assert _texts(untagged) == ("Trip", UNTAGGED)


def test_a_name_with_pattern_characters_is_matched_as_written(app):
    org = make.school()
    child = make.pupil(org, left=LEFT, forename="St. John", surname="Ng (Lee)")
    child.preferred_forename = None
    tagged = _letter(org, "St. John Ng (Lee) and St. John; StXJohn stays.", about=[child])
    sweep(DUE)
    assert _texts(tagged)[1] == f"{NAME_REMOVED} and {NAME_REMOVED}; StXJohn stays."
