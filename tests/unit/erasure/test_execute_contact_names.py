"""Erasing a parent's own data takes her name out of the messages kept for
others at her school (``rights.contact_text``, through her contact record's
deletion), as the plan's reason says; the letters stay for the others."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.erasure.models import StepAction
from app.erasure.plan import build_plan
from app.extensions import db
from app.rights.messages import NAME_REMOVED
from app.sources.contacts.models import Contact
from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient
from tests.unit.erasure.factory import executed_plan, mothers_own_erasure
from tests.unit.sources.factories import MOTHER_EMAIL, at

LETTER = "Dear Mrs O'Brien, Isla read aloud today. Siobhan O'Brien is welcome to watch on Friday."
LETTER_DONE = f"Dear {NAME_REMOVED}, Isla read aloud today. {NAME_REMOVED} is welcome to watch on Friday."


def _letter(world) -> Message:
    letter = Message(
        organisation_id=world.elm.id, sent_at=at(date(2024, 3, 4)), channel="email", sender_name="Alan Head",
        sender_email="head@school.example", subject="Siobhan O'Brien: reading", body=LETTER,
    )  # fmt: skip
    db.session.add(letter)
    db.session.flush()
    db.session.add_all([
        MessagePerson(message_id=letter.id, person_kind="pupil", pupil_id=world.isla.id),
        MessagePerson(message_id=letter.id, person_kind="contact", contact_id=world.mother.id),
        MessageRecipient(message_id=letter.id, kind="to", name="Siobhan O'Brien", email=MOTHER_EMAIL),
        MessageRecipient(message_id=letter.id, kind="cc", name="Office", email="office@school.example"),
    ])  # fmt: skip
    db.session.commit()
    return letter


def test_erasing_a_parent_takes_her_name_out_of_the_letters_kept_for_her_child(erasure):
    world, actor, _ = erasure
    letter = _letter(world)
    mother_id, isla_id = world.mother.id, world.isla.id  # read before the record goes
    case = mothers_own_erasure(world, actor, mother_id)
    plan = build_plan(case, actor, as_of=date(2025, 10, 1))
    db.session.commit()
    shared = next(s for s in plan.steps if s.category == "correspondence_shared")
    assert shared.action is StepAction.ANONYMISE and str(letter.id) in shared.record_ids
    assert "their name where the text gives it in full" in shared.reason

    executed_plan(case, actor)
    assert db.session.get(Contact, mother_id) is None
    kept = db.session.get(Message, letter.id)
    assert (kept.subject, kept.body) == (f"{NAME_REMOVED}: reading", LETTER_DONE)
    recipients = db.session.scalars(
        select(MessageRecipient.email).where(MessageRecipient.message_id == letter.id)
    )
    assert list(recipients) == ["office@school.example"]
    tags = db.session.scalars(select(MessagePerson.pupil_id).where(MessagePerson.message_id == letter.id))
    assert list(tags) == [isla_id]
