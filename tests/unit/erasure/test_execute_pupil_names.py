"""Erasing a pupil takes the child's name out of the messages and tickets
kept for others at their school (``rights.pupil_text``, through the pupil
record's anonymisation), as the plan's reasons say; the namesake at another
school and records held for someone else keep it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.erasure import targets
from app.erasure.models import StepAction
from app.erasure.plan import build_plan, confirmed_match
from app.extensions import db
from app.rights.messages import NAME_REMOVED
from app.rights.models import HoldSubject
from app.sources.correspondence.models import Message, MessagePerson
from app.sources.helpdesk.models import Ticket, TicketEntry
from app.sources.pupils.models import Pupil
from tests.unit.erasure.factory import executed_plan, hold
from tests.unit.sources.factories import at

FULL = "Amelia O'Brien-Núñez"
ABOUT_BOTH = f"{FULL} and Isla did well; Millie O'Brien-Núñez read aloud and Amelia sang."
ABOUT_BOTH_DONE = f"{NAME_REMOVED} and Isla did well; {NAME_REMOVED} read aloud and {NAME_REMOVED} sang."
ANY = "Amelia Rose O'Brien-Núñez joined the choir; Amelia Smith did not."
ANY_DONE = f"{NAME_REMOVED} joined the choir; Amelia Smith did not."


def _letter(org, body: str, *tagged: Pupil, subject: str = "Choir") -> Message:
    letter = Message(
        organisation_id=org.id, sent_at=at(date(2024, 3, 4)), channel="email", sender_name="Alan Head",
        sender_email="head@school.example", subject=subject, body=body,
    )  # fmt: skip
    db.session.add(letter)
    db.session.flush()
    for child in tagged:
        db.session.add(MessagePerson(message_id=letter.id, person_kind="pupil", pupil_id=child.id))
    db.session.commit()
    return letter


def _texts(letter_id) -> tuple[str, str]:
    letter = db.session.get(Message, letter_id, populate_existing=True)
    return letter.subject, letter.body


def _lines(org) -> list[str]:
    query = select(TicketEntry.body).join(Ticket).where(Ticket.organisation_id == org.id)
    return sorted(db.session.scalars(query))


def test_erasing_a_pupil_takes_her_name_out_of_the_text_kept_at_her_school(erasure):
    world, actor, case = erasure
    both = _letter(world.elm, ABOUT_BOTH, world.amelia, world.isla, subject=f"{FULL}'s reading")
    anyone = _letter(world.elm, ANY, world.isla)
    at_oak = _letter(world.oak, ABOUT_BOTH, world.oak_amelia, subject=f"{FULL}'s reading")
    oak_lines = _lines(world.oak)
    plan = build_plan(case, actor, as_of=date(2025, 10, 1))
    db.session.commit()
    shared = next(s for s in plan.steps if s.category == "correspondence_shared")
    assert (shared.action, shared.record_ids, shared.reason_code) == (
        StepAction.ANONYMISE, [str(both.id)], "shared_record_pupil"
    )  # fmt: skip
    assert "their name where the text gives it" in shared.reason
    about = next(s for s in plan.steps if s.category == "support_ticket_about")
    assert "the pupil's name where its text gives it" in about.reason
    executed_plan(case, actor)
    assert _texts(both.id) == (f"{NAME_REMOVED}'s reading", ABOUT_BOTH_DONE)
    # Not about her: her full name goes, a first name alone stays.
    assert _texts(anyone.id) == ("Choir", ANY_DONE)
    # The ticket about her, raised by her teacher: her first name too.
    assert _lines(world.elm) == [
        "May I look at your record?",
        f"The register stops on {NAME_REMOVED}'s mark.",
        "Yes.",
    ]
    # Her namesake at Oak is another child.
    assert _texts(at_oak.id) == (f"{FULL}'s reading", ABOUT_BOTH)
    assert _lines(world.oak) == oak_lines


def test_erasing_a_pupil_leaves_the_text_held_for_her_sister_and_a_rerun_changes_nothing(erasure):
    world, actor, case = erasure
    both = _letter(world.elm, ABOUT_BOTH, world.amelia, world.isla)
    anyone = _letter(world.elm, ANY, world.isla)
    free = _letter(world.elm, ANY)
    hold(HoldSubject.PUPIL, world.isla.id)
    plan = executed_plan(case, actor)
    kept = next(s for s in plan.steps if s.category == "correspondence_shared")
    assert (kept.action, kept.record_ids) == (StepAction.KEEP, [str(both.id)])
    assert _texts(both.id) == ("Choir", ABOUT_BOTH)
    assert _texts(anyone.id) == ("Choir", ANY)
    assert _texts(free.id) == ("Choir", ANY_DONE)
    # The pupil record's step again: the record is anonymised, no name is left to take.
    target = targets.BY_KEY[("pupils", "identity")]
    match = confirmed_match(case)
    changed = targets.apply(target, StepAction.ANONYMISE, match, [world.elm.id], date(2025, 10, 2))
    db.session.commit()
    assert changed == 0
    assert [_texts(m.id) for m in (both, anyone, free)] == [
        ("Choir", ABOUT_BOTH),
        ("Choir", ANY),
        ("Choir", ANY_DONE),
    ]
