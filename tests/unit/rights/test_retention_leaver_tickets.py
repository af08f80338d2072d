"""Rule ``helpdesk_of_leavers``: when the schedule anonymises a member of
staff, one month after they leave, they come off the support tickets they
raised (name and address as the requester, the link to their staff record,
their name on what they wrote, the address of the summaries sent to them,
their full name and addresses in the text), as they come off their
messages; the tickets stay as the school's record."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.rights.leavers import ADDRESS_REMOVED
from app.rights.messages import NAME_REMOVED
from app.rights.models import HoldSubject
from app.rights.retention import sweep
from app.sources.employees.models import Employee
from app.sources.helpdesk.models import Ticket, TicketEntry, TicketSummaryEmail
from tests.unit.rights import factory as make

LEFT = date(2029, 8, 31)
DUE = date(2029, 9, 30)  # a month after leaving, as for her messages
CONFIRMED = "It's mhughes, MHughes@elm.sch.example"
TRANSCRIPT = "[Margaret Hughes] Aoife's marks\n[Priya Desai] Hi Margaret, could you confirm your email?"


def _counts(results) -> dict[str, int]:
    return {result.code: result.count for result in results}


def _world():
    """A teacher who left with a ticket linked to her staff record (a chat
    confirming her address, its transcript emailed to her), one raised from
    her home address that names no staff record, and a colleague's."""
    org = make.school()
    pupil = make.pupil(org)
    teacher = make.employee(org, left=LEFT)
    linked = make.ticket(org, about=pupil, requester=teacher)
    linked.subject = "Margaret Hughes cannot see Aoife's marks"
    db.session.add(
        TicketEntry(
            ticket_id=linked.id,
            sent_at=make.at(LEFT),
            kind="chat",
            author_name="margaret hughes",
            author_role="customer",
            body=CONFIRMED,
        )
    )
    db.session.add(
        TicketEntry(
            ticket_id=linked.id,
            sent_at=make.at(LEFT),
            kind="chat",
            author_name="Priya Desai",
            author_role="agent",
            body="Thanks, Ms Hughes.",
        )
    )
    make.summary(linked, to="MHughes@elm.sch.example", body=TRANSCRIPT)
    make.summary(linked, to="head@elm.sch.example", body="Copied to the head teacher.")
    from_home = make.ticket(org)
    from_home.requester_email = teacher.personal_email.upper()
    colleague = make.employee(org, left=None, email="jdavies@elm.sch.example")
    colleague.forename, colleague.surname, colleague.personal_email = "Jane", "Davies", "jane@example.org"
    theirs = make.ticket(org, requester=colleague)
    theirs.requester_name, theirs.requester_email = "Jane Davies", colleague.work_email
    db.session.flush()
    return org, teacher, {"linked": linked, "from_home": from_home, "theirs": theirs}


def _fresh(ticket: Ticket) -> Ticket:
    return db.session.get(Ticket, ticket.id, populate_existing=True)


def _lines(ticket: Ticket) -> list[tuple[str, str]]:
    query = select(TicketEntry.author_name, TicketEntry.body).where(TicketEntry.ticket_id == ticket.id)
    return sorted(db.session.execute(query.execution_options(populate_existing=True)).tuples())


def _summaries(ticket: Ticket) -> list[tuple[str | None, str]]:
    query = select(TicketSummaryEmail.to_email, TicketSummaryEmail.body).where(
        TicketSummaryEmail.ticket_id == ticket.id
    )
    return sorted(db.session.execute(query).tuples(), key=lambda row: (row[0] is not None, row[0] or ""))


def test_a_leavers_tickets_lose_her_name_and_addresses_and_stay_for_the_school(app):
    _org, teacher, tickets = _world()
    results = _counts(sweep(DUE))
    assert (results["helpdesk_of_leavers"], results["employees_leavers"]) == (2, 1)
    linked, from_home, theirs = (_fresh(tickets[k]) for k in ("linked", "from_home", "theirs"))
    for ticket in (linked, from_home):
        assert (ticket.requester_name, ticket.requester_email, ticket.requester_employee_id) == (
            NAME_REMOVED,
            None,
            None,
        )
    assert linked.subject == f"{NAME_REMOVED} cannot see Aoife's marks"
    assert linked.about_pupil_id is not None and linked.status == "resolved"
    assert _lines(linked) == [
        ("Priya Desai", f"Thanks, {NAME_REMOVED}."),
        (NAME_REMOVED, "Aoife's marks"),
        (NAME_REMOVED, f"It's mhughes, {ADDRESS_REMOVED}"),
    ]
    # The transcript went to her; the copy to the head teacher keeps its
    # address. A forename alone ("Hi Margaret") is nobody's full name.
    assert _summaries(linked) == [
        (None, TRANSCRIPT.replace("Margaret Hughes", NAME_REMOVED)),
        ("head@elm.sch.example", "Copied to the head teacher."),
    ]
    assert (theirs.requester_name, theirs.requester_email) == ("Jane Davies", "jdavies@elm.sch.example")
    assert theirs.requester_employee_id is not None and _lines(theirs) == [
        ("Margaret Hughes", "Aoife's marks")
    ]
    assert make.count(Ticket) == 3 and make.count(TicketEntry) == 5 and make.count(TicketSummaryEmail) == 2
    anonymised = db.session.get(Employee, teacher.id, populate_existing=True)
    assert (anonymised.surname, anonymised.work_email) == ("Hughes", None)


def test_a_dry_run_counts_the_tickets_the_real_run_changes_and_a_second_run_none(app):
    _world()
    make.estate()
    dry = _counts(sweep(DUE, dry_run=True))
    assert db.session.scalar(select(Ticket.id).where(Ticket.requester_email.is_(None))) is None
    real = _counts(sweep(DUE))
    # Hers, and the other school's leaver's ticket (``estate``).
    assert real == dry and real["helpdesk_of_leavers"] == 3
    assert all(result.count == 0 for result in sweep(DUE))
    assert all(result.count == 0 for result in sweep(DUE + timedelta(days=400)))


def test_a_leaver_keeps_her_tickets_until_the_month_is_over(app):
    _org, _teacher, tickets = _world()
    assert _counts(sweep(DUE - timedelta(days=1)))["helpdesk_of_leavers"] == 0
    assert _fresh(tickets["linked"]).requester_email == "mhughes@elm.sch.example"
    assert _counts(sweep(DUE))["helpdesk_of_leavers"] == 2


def test_the_same_address_at_another_school_is_untouched(app):
    _world()
    elsewhere = make.school("Oak Primary School")
    still_there = make.employee(elsewhere, left=None)
    at_oak = make.ticket(elsewhere, requester=still_there)
    make.summary(at_oak, to=still_there.work_email, body="Dear Margaret Hughes")
    assert _counts(sweep(DUE))["helpdesk_of_leavers"] == 2
    oak = _fresh(at_oak)
    assert (oak.requester_name, oak.requester_email) == ("Margaret Hughes", "mhughes@elm.sch.example")
    assert _summaries(oak) == [("mhughes@elm.sch.example", "Dear Margaret Hughes")]


@pytest.mark.parametrize("kind", [HoldSubject.ORGANISATION, HoldSubject.EMPLOYEE, HoldSubject.PUPIL])
def test_a_hold_keeps_the_tickets_it_covers_as_they_are(app, kind):
    org, teacher, tickets = _world()
    held = {HoldSubject.ORGANISATION: org.id, HoldSubject.EMPLOYEE: teacher.id}
    make.hold(kind, held.get(kind, tickets["linked"].about_pupil_id))
    # A hold on the pupil keeps the ticket about them; the one from her home
    # address is about nobody held.
    taken = 1 if kind is HoldSubject.PUPIL else 0
    assert _counts(sweep(DUE))["helpdesk_of_leavers"] == taken
    assert _fresh(tickets["linked"]).requester_email == "mhughes@elm.sch.example"
    assert [to for to, _body in _summaries(tickets["linked"])] == [
        "MHughes@elm.sch.example",
        "head@elm.sch.example",
    ]


def test_a_ticket_the_helpdesk_period_deletes_is_not_also_counted_as_a_leavers(app):
    ended = make.school(contract_end=date(2026, 3, 31))
    teacher = make.employee(ended, left=LEFT)
    make.ticket(ended, requester=teacher)
    dry = _counts(sweep(DUE, dry_run=True))
    real = _counts(sweep(DUE))
    assert dry == real and (real["helpdesk_after_contract"], real["helpdesk_of_leavers"]) == (1, 0)
    assert make.count(Ticket) == 0
