"""Small builders of store rows for the source tests.

``build_world`` makes two schools. Elm holds a family (twins with the same
date of birth and a hyphenated, accented, apostrophised surname, their
mother), a member of staff, and everything the other stores hold about them;
Oak holds a pupil with the same name, date of birth and UPN, to show that
searches and collection stay inside the organisations asked for.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session
from stdnum.gb import upn as upn_format

from app.orgs.models import Organisation
from app.orgs.services import create_organisation
from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from app.sources.consent.models import ConsentRecord, wording_sha256
from app.sources.contacts.models import Contact, PupilContact
from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient
from app.sources.employees.models import Employee
from app.sources.helpdesk.models import Ticket, TicketEntry, TicketSummaryEmail
from app.sources.names import name_key
from app.sources.pupils.models import (
    Assessment,
    AttendanceWeek,
    Enrolment,
    Pupil,
    SendProvision,
    SendRecord,
    encode_week,
)
from app.sources.pupils.models import (
    Session as RegisterSession,
)

TWINS_BORN = date(2015, 5, 4)
MOTHER_EMAIL = "siobhan.obrien@example.org"
TEACHER_EMAIL = "mhughes@elm.sch.uk"


def make_upn(serial: int, la: str = "801", establishment: str = "2000") -> str:
    body = f"{la}{establishment}{serial:05d}"
    return upn_format.calc_check_digit(body) + body


def school(session: Session, name: str, *, trust: Organisation | None = None) -> Organisation:
    org = create_organisation(
        name=name,
        kind="school",
        nation="england",
        contract_start=date(2020, 1, 1),
        dp_contact_name="DPO",
        dp_contact_email=f"dpo@{name_key(name)}.sch.uk",
        trust=trust,
    )
    session.flush()
    return org


def pupil(
    session: Session, org: Organisation, forename: str, surname: str, born: date, upn: str, **extra: object
) -> Pupil:
    record = Pupil(
        organisation_id=org.id,
        upn=upn,
        legal_forename=forename,
        legal_surname=surname,
        surname_key=name_key(surname),
        forename_key=name_key(forename),
        date_of_birth=born,
        gender=extra.pop("gender", "F"),
        **extra,
    )
    session.add(record)
    session.flush()
    return record


def contact(session: Session, org: Organisation, forename: str, surname: str, **extra: object) -> Contact:
    record = Contact(
        organisation_id=org.id,
        forename=forename,
        surname=surname,
        surname_key=name_key(surname),
        forename_key=name_key(forename),
        **extra,
    )
    session.add(record)
    session.flush()
    return record


def link(session: Session, child: Pupil, parent: Contact, relationship: str = "Mother") -> PupilContact:
    record = PupilContact(
        pupil_id=child.id,
        contact_id=parent.id,
        relationship_to_pupil=relationship,
        parental_responsibility=True,
        contact_priority=1,
    )
    session.add(record)
    session.flush()
    return record


def employee(session: Session, org: Organisation, forename: str, surname: str, **extra: object) -> Employee:
    record = Employee(
        organisation_id=org.id,
        staff_number=extra.pop("staff_number", "S1001"),
        forename=forename,
        surname=surname,
        surname_key=name_key(surname),
        forename_key=name_key(forename),
        gender=extra.pop("gender", "F"),
        role=extra.pop("role", "Class teacher"),
        teaching_status="Qualified teacher",
        start_date=extra.pop("start_date", date(2012, 9, 1)),
        **extra,
    )
    session.add(record)
    session.flush()
    return record


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def history(
    session: Session,
    org: Organisation,
    child: Pupil,
    parent: Contact,
    teacher: Employee,
    *,
    years: int,
    sibling: Pupil | None = None,
    serial: int = 0,
) -> None:
    """Years of records about ``child``: a register week per school week,
    assessments, SEND, letters, tickets, access log and consent."""
    first_year = 2025 - years
    session.add(
        Enrolment(
            pupil_id=child.id, organisation_id=org.id, on_roll_date=date(first_year, 9, 3), year_group="1"
        )
    )
    marks = {(d, s): "/" if s is RegisterSession.AM else "\\" for d in range(5) for s in RegisterSession}
    sick = {**marks, (2, RegisterSession.AM): "I", (2, RegisterSession.PM): "I"}
    for year in range(first_year, 2025):
        monday = date(year, 9, 1) + timedelta(days=(7 - date(year, 9, 1).weekday()) % 7)
        for week in range(38):
            slots = encode_week(sick if week == 5 else marks)
            session.add(
                AttendanceWeek(pupil_id=child.id, week_start=monday + timedelta(weeks=week), slots=slots)
            )
        for subject in ("Reading", "Writing", "Maths"):
            session.add(
                Assessment(
                    pupil_id=child.id,
                    academic_year=f"{year}/{year + 1}",
                    key_stage="KS2",
                    subject=subject,
                    method="teacher assessment",
                    result="EXS",
                    assessed_on=date(year + 1, 6, 20),
                    recorded_by=teacher.forename,
                )
            )
        session.add(
            SendRecord(
                pupil_id=child.id,
                provision=SendProvision.SEN_SUPPORT,
                primary_need="SPLD",
                start_date=date(year, 10, 1),
                notes=f"Reading support {year}",
            )
        )
        for n in range(3):
            sent = at(date(year, 11, 3 + n))
            message = Message(
                organisation_id=org.id,
                sent_at=sent,
                channel="email",
                sender_name="Margaret Hughes",
                sender_email=TEACHER_EMAIL,
                subject="Science project",
                body=f"Dear Mrs O'Brien, {child.legal_forename} and "
                f"{sibling.legal_forename if sibling else 'Sam'} did well.",
            )
            session.add(message)
            session.flush()
            session.add(
                MessageRecipient(message_id=message.id, kind="to", name="Siobhan O'Brien", email=MOTHER_EMAIL)
            )
            session.add(MessagePerson(message_id=message.id, person_kind="pupil", pupil_id=child.id))
            session.add(MessagePerson(message_id=message.id, person_kind="employee", employee_id=teacher.id))
        opened = at(date(year, 12, 1))
        ticket = Ticket(
            organisation_id=org.id,
            reference=f"TT-{serial:03d}-{year}",
            opened_at=opened,
            closed_at=opened + timedelta(hours=2),
            channel="chat",
            status="resolved",
            category="Attendance",
            subject="Register will not save",
            requester_name="Margaret Hughes",
            requester_email=TEACHER_EMAIL,
            requester_employee_id=teacher.id,
            about_pupil_id=child.id,
        )
        session.add(ticket)
        session.flush()
        for n, line in enumerate(
            ("The register stops on Amelia's mark.", "May I look at your record?", "Yes.")
        ):
            session.add(
                TicketEntry(
                    ticket_id=ticket.id,
                    sent_at=opened + timedelta(minutes=n),
                    kind="chat",
                    author_name="Margaret Hughes",
                    author_role="customer",
                    body=line,
                )
            )
        session.add(
            TicketSummaryEmail(
                ticket_id=ticket.id,
                sent_at=opened + timedelta(hours=2),
                to_email=TEACHER_EMAIL,
                subject="Your chat transcript",
                body="...",
            )
        )
        session.add(
            SupportAccessGrant(
                organisation_id=org.id,
                ticket_id=ticket.id,
                granted_by_name="Margaret Hughes",
                granted_by_email=TEACHER_EMAIL,
                granted_by_employee_id=teacher.id,
                agent_name="Priya Desai",
                granted_at=opened,
                expires_at=opened + timedelta(hours=24),
                scope="Pupil record",
            )
        )
        for kind, person in (("pupil", child.id), ("employee", teacher.id), ("contact", parent.id)):
            session.add(
                AccessLogEntry(
                    organisation_id=org.id,
                    occurred_at=opened + timedelta(minutes=5),
                    actor_kind="support_agent",
                    actor_name="Priya Desai",
                    actor_email="priya@support.example",
                    person_kind=kind,
                    person_id=person,
                    action="view",
                    area="Pupil profile",
                )
            )
        for kind, person in (("pupil", child.id), ("contact", parent.id), ("employee", teacher.id)):
            wording = f"I agree to photographs on the school website ({year})."
            session.add(
                ConsentRecord(
                    organisation_id=org.id,
                    person_kind=kind,
                    person_id=person,
                    purpose="photos_public_website",
                    decision="granted",
                    wording=wording,
                    wording_version=f"v{year}",
                    wording_sha256=wording_sha256(wording),
                    method="paper_signature",
                    evidence="Form on file",
                    recorded_by="Office",
                    recorded_at=at(date(year, 9, 10)),
                )
            )
    session.flush()


def looked_at(
    session: Session, org: Organisation, staff: Employee, child: Pupil, *, on: date = date(2024, 10, 7)
) -> AccessLogEntry:
    """An access-log entry of a member of staff opening a pupil's record."""
    entry = AccessLogEntry(
        organisation_id=org.id,
        occurred_at=at(on, 9),
        actor_kind="school_user",
        actor_name=f"{staff.forename} {staff.surname}",
        actor_email=staff.work_email,
        person_kind="pupil",
        person_id=child.id,
        action="view",
        area="Pupil profile",
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass
class World:
    elm: Organisation
    oak: Organisation
    amelia: Pupil
    isla: Pupil
    mother: Contact
    teacher: Employee
    oak_amelia: Pupil
    oak_mother: Contact
    oak_teacher: Employee


def build_world(session: Session, *, years: int = 1) -> World:
    elm, oak = school(session, "Elm Primary"), school(session, "Oak Primary")
    surname = "O'Brien-Núñez"
    amelia = pupil(
        session,
        elm,
        "Amelia",
        surname,
        TWINS_BORN,
        make_upn(1),
        preferred_forename="Millie",
        middle_names="Rose",
        postcode="LS1 4AP",
    )
    isla = pupil(session, elm, "Isla", surname, TWINS_BORN, make_upn(2), postcode="LS1 4AP")
    mother = contact(session, elm, "Siobhan", "O'Brien", email=MOTHER_EMAIL, postcode="LS1 4AP", title="Mrs")
    link(session, amelia, mother)
    link(session, isla, mother)
    teacher = employee(
        session,
        elm,
        "Margaret",
        "Hughes",
        preferred_name="Peggy",
        date_of_birth=date(1980, 2, 3),
        work_email=TEACHER_EMAIL,
    )
    history(session, elm, amelia, mother, teacher, years=years, sibling=isla, serial=1)
    oak_amelia = pupil(session, oak, "Amelia", surname, TWINS_BORN, make_upn(1), postcode="LS1 4AP")
    oak_mother = contact(session, oak, "Siobhan", "O'Brien", email=MOTHER_EMAIL, postcode="LS1 4AP")
    link(session, oak_amelia, oak_mother)
    oak_teacher = employee(
        session, oak, "Margaret", "Hughes", date_of_birth=date(1980, 2, 3), work_email=TEACHER_EMAIL
    )
    history(session, oak, oak_amelia, oak_mother, oak_teacher, years=1, serial=2)
    # The teachers at work: each opens a pupil's record, so the access log
    # names them as the one looking (Elm's looks at the twin, not Amelia).
    looked_at(session, elm, teacher, isla)
    looked_at(session, oak, oak_teacher, oak_amelia)
    session.commit()
    return World(elm, oak, amelia, isla, mother, teacher, oak_amelia, oak_mother, oak_teacher)


def new_id() -> uuid.UUID:
    return uuid.uuid4()
