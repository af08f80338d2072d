"""Builders of the records the retention rules sweep (not a test module)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from stdnum.gb import upn as upn_format

from app.extensions import db
from app.orgs.models import Organisation
from app.orgs.services import create_organisation
from app.rights.models import HoldSubject, LegalHold, SetupImport
from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from app.sources.contacts.models import Contact, PupilContact
from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient, PersonKind
from app.sources.employees.models import Employee
from app.sources.helpdesk.models import Ticket, TicketEntry, TicketSummaryEmail
from app.sources.names import name_key
from app.sources.pupils.models import Assessment, AttendanceWeek, Enrolment, Pupil, SendProvision, SendRecord

_serial = iter(range(1, 10**9))
_KINDS = {Pupil: PersonKind.PUPIL, Contact: PersonKind.CONTACT, Employee: PersonKind.EMPLOYEE}


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def school(
    name: str = "Elm Primary School",
    *,
    contract_end: date | None = None,
    kind: str = "school",
    trust: Organisation | None = None,
) -> Organisation:
    org = create_organisation(
        name=f"{name} {next(_serial)}", kind=kind, nation="england", contract_start=date(2015, 1, 1),
        dp_contact_name="Dee Pio", dp_contact_email="dpo@elm.sch.example", contract_end=contract_end,
        trust=trust,
    )  # fmt: skip
    db.session.flush()
    return org


def pupil(
    org: Organisation,
    *,
    left: date | None = None,
    enrolled: bool = True,
    on_roll: date = date(2015, 9, 3),
    forename: str = "Aoife",
    surname: str = "O'Brien",
) -> Pupil:
    """A pupil with one enrolment (ended on ``left`` if given), a register
    week, an assessment and a SEND record with notes."""
    body = f"80120002{next(_serial) % 10000:04d}"
    record = Pupil(
        organisation_id=org.id, upn=upn_format.calc_check_digit(body) + body, former_upn=None,
        legal_forename=forename, middle_names="Mary", legal_surname=surname, preferred_forename="Ava",
        preferred_surname=surname, surname_key=name_key(surname), forename_key=name_key(forename),
        date_of_birth=date(2013, 5, 17), gender="F", address_line1="1 Elm Road", address_line2="Flat 2",
        town="Leeds", postcode="LS1 1AA", ethnicity="WIRI", first_language="ENG", fsm_eligible=True,
    )  # fmt: skip
    db.session.add(record)
    db.session.flush()
    if enrolled:
        start = min(on_roll, left or on_roll)
        db.session.add(
            Enrolment(
                pupil_id=record.id,
                organisation_id=org.id,
                on_roll_date=start,
                leaving_date=left,
                year_group="6",
            )
        )
    db.session.add(AttendanceWeek(pupil_id=record.id, week_start=date(2016, 1, 4), slots="/ \\ " * 5))
    db.session.add(
        Assessment(
            pupil_id=record.id,
            academic_year="2015/2016",
            key_stage="KS2",
            subject="Maths",
            method="test",
            result="EXS",
            assessed_on=date(2016, 6, 1),
        )
    )
    db.session.add(
        SendRecord(
            pupil_id=record.id,
            provision=SendProvision.SEN_SUPPORT,
            primary_need="SPLD",
            start_date=date(2015, 10, 1),
            notes=f"{forename} needs reading support",
        )
    )
    db.session.flush()
    return record


def enrol(child: Pupil, org: Organisation, on_roll: date, left: date | None) -> None:
    db.session.add(
        Enrolment(
            pupil_id=child.id, organisation_id=org.id, on_roll_date=on_roll, leaving_date=left, year_group="7"
        )
    )
    db.session.flush()


def contact(org: Organisation, *children: Pupil, forename: str = "Siobhan") -> Contact:
    record = Contact(
        organisation_id=org.id, title="Mrs", forename=forename, surname="O'Brien", surname_key="obrien",
        forename_key=name_key(forename), email=f"{name_key(forename)}@example.org",
        mobile_phone="07700 900123",
    )  # fmt: skip
    db.session.add(record)
    db.session.flush()
    for priority, child in enumerate(children, start=1):
        db.session.add(
            PupilContact(
                pupil_id=child.id,
                contact_id=record.id,
                relationship_to_pupil="Mother",
                parental_responsibility=True,
                contact_priority=priority,
            )
        )
    db.session.flush()
    return record


def employee(
    org: Organisation,
    *,
    left: date | None,
    started: date = date(2010, 9, 1),
    email: str = "mhughes@elm.sch.example",
) -> Employee:
    record = Employee(
        organisation_id=org.id, staff_number=f"S{next(_serial)}", title="Ms", forename="Margaret",
        surname="Hughes", preferred_name="Maggie", surname_key="hughes", forename_key="margaret", gender="F",
        date_of_birth=date(1980, 2, 29), work_email=email,
        personal_email="maggie@example.org", phone="07700 900456", role="Class teacher",
        teaching_status="Qualified teacher", teacher_reference_number="1234567",
        start_date=min(started, left or started), leave_date=left,
    )  # fmt: skip
    db.session.add(record)
    db.session.flush()
    return record


def message(org: Organisation, *, about: list[Pupil | Contact | Employee] = ()) -> Message:
    record = Message(
        organisation_id=org.id,
        sent_at=at(date(2020, 3, 2)),
        channel="email",
        sender_name="Margaret Hughes",
        subject="Trip",
        body="Dear Mrs O'Brien, Aoife did well.",
    )
    db.session.add(record)
    db.session.flush()
    db.session.add(
        MessageRecipient(message_id=record.id, kind="to", name="Siobhan O'Brien", email="siobhan@example.org")
    )
    for person in about:
        kind = _KINDS[type(person)]
        db.session.add(
            MessagePerson(message_id=record.id, person_kind=kind, **{f"{kind.value}_id": person.id})
        )
    db.session.flush()
    return record


def ticket(org: Organisation, *, about: Pupil | None = None, requester: Employee | None = None) -> Ticket:
    record = Ticket(
        organisation_id=org.id, reference=f"TT-{next(_serial):08d}", opened_at=at(date(2020, 5, 5)),
        channel="chat", status="resolved", category="Attendance", subject="Missing marks",
        requester_name="Margaret Hughes", requester_email="mhughes@elm.sch.example",
        requester_employee_id=requester.id if requester else None, about_pupil_id=about.id if about else None,
    )  # fmt: skip
    db.session.add(record)
    db.session.flush()
    db.session.add(
        TicketEntry(
            ticket_id=record.id,
            sent_at=at(date(2020, 5, 5)),
            kind="chat",
            author_name="Margaret Hughes",
            author_role="customer",
            body="Aoife's marks",
        )
    )
    db.session.flush()
    return record


def grant(org: Organisation, giver: Employee) -> SupportAccessGrant:
    """The permission ``giver`` gave the support team to look at their record."""
    record = SupportAccessGrant(
        organisation_id=org.id, granted_by_name=f"{giver.forename} {giver.surname}",
        granted_by_email=giver.work_email or "former@elm.sch.example", granted_by_employee_id=giver.id,
        agent_name="Priya Desai", granted_at=at(date(2021, 3, 1)), expires_at=at(date(2021, 3, 2)),
        scope="Pupil record",
    )  # fmt: skip
    db.session.add(record)
    db.session.flush()
    return record


def entry(
    org: Organisation,
    about: Pupil | Contact | Employee,
    *,
    actor: Employee | None = None,
    under: SupportAccessGrant | None = None,
) -> AccessLogEntry:
    """An access-log entry: ``actor`` (a member of staff; else the support
    team, under the permission ``under`` if given) viewed ``about``'s record."""
    record = AccessLogEntry(
        organisation_id=org.id, occurred_at=at(date(2021, 3, 1)),
        actor_kind="school_user" if actor else "support_agent",
        actor_name=f"{actor.forename} {actor.surname}" if actor else "Priya Desai",
        actor_email=actor.work_email if actor else "priya@support.example", person_kind=_KINDS[type(about)],
        person_id=about.id, action="view", area="Pupil profile", grant_id=under.id if under else None,
    )  # fmt: skip
    db.session.add(record)
    db.session.flush()
    return record


def setup_import(
    org: Organisation, *, processed: datetime | None, received: datetime | None = None
) -> SetupImport:
    record = SetupImport(
        organisation_id=org.id, received_at=received or (processed or at(date(2020, 1, 1))),
        processed_at=processed, file_name="pupils.csv", row_count=2, payload="upn,name\nA123,Aoife O'Brien\n",
    )  # fmt: skip
    db.session.add(record)
    db.session.flush()
    return record


def hold(kind: HoldSubject, subject_id: uuid.UUID, *, released: bool = False) -> LegalHold:
    record = LegalHold(
        subject_kind=kind,
        subject_id=subject_id,
        reason="Tribunal claim 2206/2024",
        released_at=at(date(2030, 1, 1)) if released else None,
    )
    db.session.add(record)
    db.session.flush()
    return record


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def estate() -> dict[str, object]:
    """At least one record for every rule as of 2030-01-01, and a pupil
    both rules for pupils would take."""
    ended = school(contract_end=date(2025, 3, 31))
    active = school()
    leaver = pupil(active, left=date(2026, 7, 17))
    both = pupil(ended, left=date(2024, 7, 19))
    staying = pupil(active)
    teacher = employee(active, left=date(2029, 8, 31))
    contact(active, leaver)
    contact(ended, both)
    message(ended, about=[both])
    message(active, about=[leaver, staying, teacher])
    ticket(ended, about=both)
    ticket(active, about=leaver, requester=teacher)
    setup_import(ended, processed=at(date(2028, 6, 1)))
    return {"ended": ended, "active": active, "leaver": leaver, "both": both, "staying": staying,
            "teacher": teacher}  # fmt: skip


def summary(raised: Ticket, *, to: str, body: str) -> TicketSummaryEmail:
    """A summary (or chat transcript) of ``raised`` emailed to ``to``."""
    record = TicketSummaryEmail(
        ticket_id=raised.id,
        sent_at=at(date(2020, 5, 6)),
        to_email=to,
        subject=f"Summary of your support request: {raised.subject}",
        body=body,
    )
    db.session.add(record)
    db.session.flush()
    return record
