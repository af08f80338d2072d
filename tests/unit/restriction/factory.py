"""Lifting a restriction the way it happens: scheduled (the requester told),
then carried out by the daily task on the day; a consent to object to, and
a school's own basis for the processing objected to."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.models import Role, User
from app.cases.models import Case
from app.extensions import db
from app.mail.models import OutboxMessage
from app.orgs.models import Organisation
from app.register import bases
from app.register.models import RegisterEntry
from app.restriction import lifting
from app.sources.consent import services as consent
from app.sources.consent.models import ConsentDecision, ConsentMethod
from app.sources.correspondence.models import PersonKind
from tests.unit.api.estate import make_user


def schedule_and_lift(case: Case, actor: User, reason: str, *, carry_out: bool = True) -> date:
    """Schedule the lift for tomorrow and, with ``carry_out``, run the daily
    task as it will run that day. Returns the scheduled day."""
    day = lifting.today() + timedelta(days=1)
    lifting.schedule_lift(case, actor, reason, day)
    if carry_out:
        lifting.lift_due(on=day)
    return day


def photo_consent(world) -> consent.Person:
    """Amelia's parent's consent to photographs on the school website, committed."""
    person = consent.Person(world.elm.id, PersonKind.PUPIL, world.amelia.id)
    consent.record_consent(
        person,
        purpose="photos_website",
        decision=ConsentDecision.GRANTED,
        wording="Photographs of my child may appear on the school website.",
        wording_version="2025.1",
        method=ConsentMethod.PAPER_SIGNATURE,
        recorded_by="School office",
    )
    db.session.commit()
    return person


def letters_sent(case: Case, category: str) -> list[OutboxMessage]:
    """The emails of one kind sent about the case."""
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.case_id == case.id, OutboxMessage.category == category)
        )
    )


def register_entry(source: str, category: str) -> RegisterEntry:
    return db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == source, RegisterEntry.category == category)
    ).one()


def basis_at(organisation: Organisation, entry: RegisterEntry, basis: str, wording: str) -> None:
    """``organisation``'s own basis for ``entry``, set by an administrator, committed."""
    admin = db.session.scalars(select(User).where(User.role == Role.ADMIN)).first()
    admin = admin or make_user("ada@company.example", Role.ADMIN)
    bases.set_basis(organisation, entry, {"basis": basis, "lawful_basis": wording}, admin)
    db.session.commit()
