"""What an erasure touches in each store, as SQL shared by the plan and the job.

A ``Target`` is one (store, category): the rows of the subject's confirmed
records, as a WHERE clause over the category's table restricted to some
organisations. The plan counts with it (grouped by organisation, so a
legal hold or a contract can trim it per organisation), and the job applies
the approved action with the same clause, so the two cannot disagree.

Anonymising reuses the retention sweeper's statements
(``app.rights.retention``): an erased pupil or employee ends up exactly like
one whose retention period ran out; so does taking a member of staff off the
messages kept for others (``app.rights.messages``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
    union,
    update,
)

from app.erasure.models import StepAction
from app.extensions import db
from app.rights.messages import full_names, take_off_messages
from app.rights.retention import anonymise_employees, anonymise_pupils, delete_contacts
from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from app.sources.consent.models import ConsentRecord
from app.sources.contacts.models import Contact
from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient, PersonKind
from app.sources.helpdesk.models import Ticket
from app.sources.protocol import Match
from app.sources.pupils.models import Assessment, AttendanceWeek, Enrolment, Pupil, SendRecord

PUPILS, ENROLMENTS, ATTENDANCE = Pupil.__table__, Enrolment.__table__, AttendanceWeek.__table__
ASSESSMENTS, SEND = Assessment.__table__, SendRecord.__table__
CONTACTS, MESSAGES = Contact.__table__, Message.__table__
RECIPIENTS, TAGS = MessageRecipient.__table__, MessagePerson.__table__
TICKETS, CONSENT = Ticket.__table__, ConsentRecord.__table__
ACCESS_LOG, GRANTS = AccessLogEntry.__table__, SupportAccessGrant.__table__
EMPLOYEES = Pupil.metadata.tables["employees"]

Orgs = Sequence[uuid.UUID]


@dataclass(frozen=True)
class Target:
    source: str
    category: str
    label: str  # what the console and the certificate call it: no personal data
    table: Table
    # The rows of the match in the organisations given.
    clause: Callable[[Match, Orgs], ColumnElement[bool]]
    # (organisation id, rows) for the match across its organisations.
    counts: Callable[[Match], Select]
    # The plan lists the rows' ids and the job acts on exactly those: another
    # store's job (a pupil's anonymisation removes their message tags) may
    # run first and would otherwise hide them from the clause.
    keyed: bool = False


def _ids(values: frozenset[uuid.UUID]) -> list[uuid.UUID]:
    return sorted(values, key=str)


# --- pupils -------------------------------------------------------------------


def _pupils(match: Match, orgs: Orgs) -> ColumnElement[bool]:
    return and_(PUPILS.c.id.in_(_ids(match.pupil_ids)), PUPILS.c.organisation_id.in_(list(orgs)))


def _pupil_counts(match: Match) -> Select:
    return (
        select(PUPILS.c.organisation_id, func.count())
        .where(_pupils(match, _ids(match.organisation_ids)))
        .group_by(PUPILS.c.organisation_id)
    )


def _of_pupils(
    table: Table,
) -> tuple[Callable[[Match, Orgs], ColumnElement[bool]], Callable[[Match], Select]]:
    """Clause and counts for a table of rows about a pupil (``pupil_id``),
    counted under the pupil's organisation."""

    def clause(match: Match, orgs: Orgs) -> ColumnElement[bool]:
        return table.c.pupil_id.in_(select(PUPILS.c.id).where(_pupils(match, orgs)))

    def counts(match: Match) -> Select:
        return (
            select(PUPILS.c.organisation_id, func.count())
            .select_from(table.join(PUPILS, PUPILS.c.id == table.c.pupil_id))
            .where(_pupils(match, _ids(match.organisation_ids)))
            .group_by(PUPILS.c.organisation_id)
        )

    return clause, counts


def _own(table: Table, base: Callable[[Match], ColumnElement[bool]]) -> tuple[Callable, Callable]:
    """Clause and counts for a table with its own ``organisation_id``."""

    def clause(match: Match, orgs: Orgs) -> ColumnElement[bool]:
        return and_(base(match), table.c.organisation_id.in_(list(orgs)))

    def counts(match: Match) -> Select:
        return (
            select(table.c.organisation_id, func.count())
            .where(clause(match, _ids(match.organisation_ids)))
            .group_by(table.c.organisation_id)
        )

    return clause, counts


# --- the stores about people ---------------------------------------------------


def _emails(match: Match) -> list[str]:
    return sorted(match.emails)


def _messages_of(match: Match) -> ColumnElement[bool]:
    """Messages the subject sent, received or is tagged in."""
    about = union(
        select(MESSAGES.c.id).where(MESSAGES.c.sender_email.in_(_emails(match))),
        select(RECIPIENTS.c.message_id).where(RECIPIENTS.c.email.in_(_emails(match))),
        select(TAGS.c.message_id).where(
            or_(
                TAGS.c.pupil_id.in_(_ids(match.pupil_ids)),
                TAGS.c.contact_id.in_(_ids(match.contact_ids)),
                TAGS.c.employee_id.in_(_ids(match.employee_ids)),
            )
        ),
    )
    return MESSAGES.c.id.in_(about)


def _about_others(match: Match) -> ColumnElement[bool]:
    """The message is also about another pupil or contact, or the subject
    sent it to someone else (a letter a member of staff wrote to a parent is
    the parent's correspondence too, tagged or not). Staff tags mark the
    member of staff who wrote or handled it, not whom it is about."""
    other = TAGS.alias("other")
    to = RECIPIENTS.alias("to_other")
    emails = _emails(match)
    return or_(
        exists().where(
            other.c.message_id == MESSAGES.c.id,
            or_(
                and_(other.c.pupil_id.is_not(None), other.c.pupil_id.not_in(_ids(match.pupil_ids))),
                and_(other.c.contact_id.is_not(None), other.c.contact_id.not_in(_ids(match.contact_ids))),
            ),
        ),
        # Never NULL (a message with no sender address is simply not sent
        # by the subject), or NOT of it would drop the message from both targets.
        and_(
            MESSAGES.c.sender_email.is_not(None),
            MESSAGES.c.sender_email.in_(emails),
            exists().where(to.c.message_id == MESSAGES.c.id, to.c.email.not_in(emails)),
        ),
    )


def _raised_by(match: Match) -> ColumnElement[bool]:
    return or_(
        TICKETS.c.requester_email.in_(_emails(match)),
        TICKETS.c.requester_employee_id.in_(_ids(match.employee_ids)),
    )


def _person(kind_column, id_column, match: Match) -> ColumnElement[bool]:
    return or_(
        and_(kind_column == PersonKind.PUPIL, id_column.in_(_ids(match.pupil_ids))),
        and_(kind_column == PersonKind.CONTACT, id_column.in_(_ids(match.contact_ids))),
        and_(kind_column == PersonKind.EMPLOYEE, id_column.in_(_ids(match.employee_ids))),
    )


def _acted_by(match: Match) -> ColumnElement[bool]:
    """Access-log entries naming the subject (by address) as the one who
    viewed or changed a record: a member of staff opening pupils' and
    colleagues' records. Entries about their own records are the
    ``access_log`` target's."""
    return and_(
        ACCESS_LOG.c.actor_email.in_(_emails(match)),
        ~_person(ACCESS_LOG.c.person_kind, ACCESS_LOG.c.person_id, match),
    )


def _target(
    source: str, category: str, label: str, table: Table, pair: tuple[Callable, Callable], keyed: bool = False
) -> Target:
    return Target(source, category, label, table, pair[0], pair[1], keyed)


# In the order a store's job applies them: rows about a record before the
# record itself, so nothing is left pointing at a half-changed record.
TARGETS: tuple[Target, ...] = (
    _target("pupils", "send", "Special educational needs records", SEND, _of_pupils(SEND)),
    _target("pupils", "attendance", "Attendance marks (register weeks)", ATTENDANCE, _of_pupils(ATTENDANCE)),
    _target("pupils", "assessments", "Assessment results", ASSESSMENTS, _of_pupils(ASSESSMENTS)),
    _target("pupils", "enrolments", "Enrolments", ENROLMENTS, _of_pupils(ENROLMENTS)),
    _target("pupils", "characteristics", "Characteristics (ethnicity, first language)", PUPILS,
            (_pupils, _pupil_counts)),
    _target("pupils", "identity", "Pupil record (name, UPN, date of birth, address)", PUPILS,
            (_pupils, _pupil_counts)),
    _target("contacts", "contact", "Parent or carer contact record", CONTACTS,
            _own(CONTACTS, lambda m: CONTACTS.c.id.in_(_ids(m.contact_ids)))),
    _target("employees", "employee", "Staff record", EMPLOYEES,
            _own(EMPLOYEES, lambda m: EMPLOYEES.c.id.in_(_ids(m.employee_ids)))),
    _target("correspondence", "correspondence", "Messages about the subject only", MESSAGES,
            _own(MESSAGES, lambda m: and_(_messages_of(m), ~_about_others(m))), True),
    _target("correspondence", "correspondence_shared", "Messages also about other people", MESSAGES,
            _own(MESSAGES, lambda m: and_(_messages_of(m), _about_others(m))), True),
    _target("helpdesk", "support_ticket", "Support tickets the subject raised", TICKETS,
            _own(TICKETS, _raised_by), True),
    _target("helpdesk", "support_ticket_about", "Support tickets about the subject's record", TICKETS,
            _own(TICKETS, lambda m: and_(TICKETS.c.about_pupil_id.in_(_ids(m.pupil_ids)), ~_raised_by(m))),
            True),
    _target("consent", "consent", "Consent ledger entries", CONSENT,
            _own(CONSENT, lambda m: _person(CONSENT.c.person_kind, CONSENT.c.person_id, m))),
    _target("access_log", "access_log", "Access log entries", ACCESS_LOG,
            _own(ACCESS_LOG, lambda m: _person(ACCESS_LOG.c.person_kind, ACCESS_LOG.c.person_id, m))),
    _target("access_log", "access_log_actor", "Access log entries of records the subject viewed or changed",
            ACCESS_LOG, _own(ACCESS_LOG, _acted_by)),
    _target("access_log", "support_access", "Permissions given to support staff", GRANTS,
            _own(GRANTS, lambda m: or_(GRANTS.c.granted_by_email.in_(_emails(m)),
                                        GRANTS.c.granted_by_employee_id.in_(_ids(m.employee_ids))))),
)  # fmt: skip
BY_KEY: dict[tuple[str, str], Target] = {(t.source, t.category): t for t in TARGETS}
ORDER: dict[tuple[str, str], int] = {(t.source, t.category): n for n, t in enumerate(TARGETS)}


def count_by_organisation(target: Target, match: Match) -> dict[uuid.UUID, int]:
    return {org: count for org, count in db.session.execute(target.counts(match)).all() if count}


def rows_by_organisation(target: Target, match: Match) -> dict[uuid.UUID, list[str]]:
    """The ids of a keyed target's rows (as the plan lists them) per
    organisation of the match: the plan decides each row on its own, as a
    row naming someone under a legal hold is kept."""
    table = target.table
    query = (
        select(table.c.organisation_id, table.c.id)
        .where(target.clause(match, _ids(match.organisation_ids)))
        .order_by(table.c.id)
    )
    rows: dict[uuid.UUID, list[str]] = {}
    for org, row in db.session.execute(query):
        rows.setdefault(org, []).append(str(row))
    return rows


def apply(
    target: Target, action: StepAction, match: Match, orgs: Orgs, as_of: date, ids: list[str] | None = None
) -> int:
    """Carry out ``action`` on the target's rows in ``orgs`` (for a keyed
    target, on the rows ``ids`` the plan listed); the rows changed. ``keep``
    changes nothing. Runs in the caller's transaction."""
    if action is StepAction.KEEP or not orgs:
        return 0
    if target.keyed:
        clause = target.table.c.id.in_([uuid.UUID(value) for value in ids or []])
    else:
        clause = target.clause(match, orgs)
    key = (target.source, target.category)
    if action is StepAction.DELETE and key == ("contacts", "contact"):
        return delete_contacts(clause, as_of)
    if action is StepAction.DELETE:
        return db.session.execute(delete(target.table).where(clause)).rowcount
    if key == ("pupils", "identity"):
        return anonymise_pupils(and_(clause, PUPILS.c.anonymised_at.is_(None)), as_of)
    if key == ("pupils", "characteristics"):
        values = {"ethnicity": None, "first_language": None}
        return db.session.execute(update(PUPILS).where(clause).values(**values)).rowcount
    if key == ("employees", "employee"):
        return anonymise_employees(and_(clause, EMPLOYEES.c.anonymised_at.is_(None)), as_of)
    if key == ("correspondence", "correspondence_shared"):
        return _unlink_messages(match, clause)
    if key == ("helpdesk", "support_ticket_about"):
        statement = update(TICKETS).where(clause).values(about_pupil_id=None)
        return db.session.execute(statement).rowcount
    raise ValueError(f"{target.source}/{target.category} cannot be done by {action.value}")


def _staff_names(match: Match) -> list[str]:
    """The ways a letter gives the name of a member of staff of the match in
    full (``messages.full_names``). A staff record keeps its name when erased
    (``historical_reports``), so this reads the same before and after."""
    if not match.employee_ids:
        return []
    e = EMPLOYEES.c
    rows = db.session.execute(
        select(e.title, e.forename, e.preferred_name, e.surname).where(
            e.id.in_(_ids(match.employee_ids)), e.organisation_id.in_(_ids(match.organisation_ids))
        )
    )
    return full_names(rows.all())


def _unlink_messages(match: Match, clause: ColumnElement[bool]) -> int:
    """Take the subject off messages kept for the other people they concern:
    their tags, their own recipient rows, their name and address as the
    sender and, for a member of staff, their name where the text gives it in
    full (a letter's signature), as retention does for the staff it
    anonymises (``app.rights.messages``). The messages changed."""
    emails = _emails(match)
    names = _staff_names(match)
    subject_tags = or_(
        TAGS.c.pupil_id.in_(_ids(match.pupil_ids)),
        TAGS.c.contact_id.in_(_ids(match.contact_ids)),
        TAGS.c.employee_id.in_(_ids(match.employee_ids)),
    )
    return take_off_messages(
        clause,
        lambda column: func.lower(column).in_(emails),
        subject_tags,
        {org: names for org in match.organisation_ids} if names else {},
    )
