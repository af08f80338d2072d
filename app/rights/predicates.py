"""Which records each retention rule takes on a given cut-off date, as SQL.

Each function returns the WHERE clause over its rule's table, built from the
cut-off date (``app.rights.periods.cutoff``) as a bound parameter. The
sweeper uses the same clause for the dry run's ``SELECT count(*)`` and for
the real ``UPDATE`` / ``DELETE``, so the two cannot disagree.

Legal holds are honoured in every clause: a record is skipped while an
unreleased hold names its organisation (or that organisation's trust), the person it is about, or (for
records about several people, such as a message or a contact shared by
siblings) any one of them.

Large sets are only ever tested with ``IN`` / ``EXISTS`` / ``NOT EXISTS`` at
the top level of a clause; ``NOT IN`` is used for the short list of held ids
alone (on PostgreSQL an ``IN`` or ``NOT IN`` under ``OR`` or ``NOT`` is a
subplan, and one too big to hash in memory is re-scanned for every row).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    Subquery,
    and_,
    case,
    exists,
    func,
    or_,
    select,
    union,
    union_all,
)

from app.orgs.models import Organisation
from app.rights.models import HoldSubject, LegalHold, SetupImport
from app.rights.periods import start_of_day_after
from app.sources.contacts.models import Contact, PupilContact
from app.sources.correspondence.models import Message, MessagePerson, MessageRecipient
from app.sources.employees.models import Employee
from app.sources.helpdesk.models import Ticket
from app.sources.pupils.models import Enrolment, Pupil

ORGANISATIONS = Organisation.__table__
PUPILS = Pupil.__table__
ENROLMENTS = Enrolment.__table__
CONTACTS = Contact.__table__
PUPIL_CONTACTS = PupilContact.__table__
MESSAGES = Message.__table__
MESSAGE_PEOPLE = MessagePerson.__table__
MESSAGE_RECIPIENTS = MessageRecipient.__table__
TICKETS = Ticket.__table__
EMPLOYEES = Employee.__table__
SETUP_IMPORTS = SetupImport.__table__
HOLDS = LegalHold.__table__


def organisation_not_held(column: ColumnElement) -> ColumnElement[bool]:
    """No active hold names ``column``'s organisation or, for a member
    school, its trust: a hold on a trust covers its schools' records too."""
    member, hold = ORGANISATIONS.alias(), HOLDS.alias()
    trust_held = exists().where(
        member.c.id == column,
        hold.c.subject_kind == HoldSubject.ORGANISATION,
        hold.c.subject_id == member.c.trust_id,
        hold.c.released_at.is_(None),
    )
    return and_(not_held(column, HoldSubject.ORGANISATION), ~trust_held)


def held(kind: HoldSubject) -> Select:
    """Ids under an active (unreleased) hold of one kind."""
    return select(HOLDS.c.subject_id).where(HOLDS.c.subject_kind == kind, HOLDS.c.released_at.is_(None))


def not_held(column: ColumnElement, kind: HoldSubject) -> ColumnElement[bool]:
    """No active hold of ``kind`` names ``column``'s id (a NULL names nobody).
    NOT EXISTS rather than NOT IN: PostgreSQL plans it as an anti-join, and
    leaves the main join free to follow the primary key's order."""
    hold = HOLDS.alias()  # anonymous: one statement may test several holds
    return ~exists().where(
        hold.c.subject_kind == kind, hold.c.subject_id == column, hold.c.released_at.is_(None)
    )


def ended_contracts(cut: date) -> CompoundSelect:
    """Organisations whose contract ended on or before ``cut``: their own
    end date, or, for a trust's member school with no end date of its own,
    the trust's (the trust is then the customer for its schools, and its
    contract ending ends their service too). A member school's own end date
    wins either way, so one that keeps a contract of its own after its
    trust's ended is not swept."""
    member, trust = ORGANISATIONS.alias("member"), ORGANISATIONS.alias("trust")
    return union(
        select(ORGANISATIONS.c.id).where(ORGANISATIONS.c.contract_end <= cut),
        select(member.c.id)
        .join(trust, trust.c.id == member.c.trust_id)
        .where(member.c.contract_end.is_(None), trust.c.contract_end <= cut),
    )


def left_by(pupil_id: ColumnElement, cut: date) -> ColumnElement[bool]:
    """The pupil has left: it has an enrolment that ended on or before
    ``cut`` and none still open or ending later. A pupil with no enrolment has
    not left (it never joined a roll we know of). Correlated EXISTS rather
    than IN: PostgreSQL turns them into joins at the top level and into index
    lookups where they sit under a NOT or an OR."""
    ended_roll, later = ENROLMENTS.alias("ended_roll"), ENROLMENTS.alias("later")
    return and_(
        exists().where(ended_roll.c.pupil_id == pupil_id, ended_roll.c.leaving_date <= cut),
        ~exists().where(
            later.c.pupil_id == pupil_id, or_(later.c.leaving_date.is_(None), later.c.leaving_date > cut)
        ),
    )


def _messages_naming_held_people() -> Select:
    """Ids of messages naming someone under an active hold (a short list)."""
    return union_all(
        select(MESSAGE_PEOPLE.c.message_id).where(MESSAGE_PEOPLE.c.pupil_id.in_(held(HoldSubject.PUPIL))),
        select(MESSAGE_PEOPLE.c.message_id).where(MESSAGE_PEOPLE.c.contact_id.in_(held(HoldSubject.CONTACT))),
        select(MESSAGE_PEOPLE.c.message_id).where(
            MESSAGE_PEOPLE.c.employee_id.in_(held(HoldSubject.EMPLOYEE))
        ),
    )


def correspondence_after_contract(cut: date) -> ColumnElement[bool]:
    """Messages of organisations whose contract ended on or before ``cut``."""
    return and_(
        MESSAGES.c.organisation_id.in_(ended_contracts(cut)),
        organisation_not_held(MESSAGES.c.organisation_id),
        MESSAGES.c.id.not_in(_messages_naming_held_people()),
    )


def message_not_held() -> ColumnElement[bool]:
    """Over ``messages``: no active hold on the message's organisation or on
    anyone it names, so its text may change."""
    return and_(
        organisation_not_held(MESSAGES.c.organisation_id),
        MESSAGES.c.id.not_in(_messages_naming_held_people()),
    )


def tag_of_unheld_message() -> ColumnElement[bool]:
    """Over ``message_people``: the tag's message is under no hold (its
    organisation's, or one on anyone it names), so the tag may go."""
    return and_(
        exists().where(
            MESSAGES.c.id == MESSAGE_PEOPLE.c.message_id,
            organisation_not_held(MESSAGES.c.organisation_id),
        ),
        MESSAGE_PEOPLE.c.message_id.not_in(_messages_naming_held_people()),
    )


def ticket_not_held() -> ColumnElement[bool]:
    """Over ``tickets``: no active hold on the ticket's organisation, the
    pupil it is about or the member of staff who raised it."""
    return and_(
        organisation_not_held(TICKETS.c.organisation_id),
        not_held(TICKETS.c.about_pupil_id, HoldSubject.PUPIL),
        not_held(TICKETS.c.requester_employee_id, HoldSubject.EMPLOYEE),
    )


def helpdesk_after_contract(cut: date) -> ColumnElement[bool]:
    """Support tickets of organisations whose contract ended on or before ``cut``."""
    return and_(TICKETS.c.organisation_id.in_(ended_contracts(cut)), ticket_not_held())


def contacts_after_pupils(cut: date) -> ColumnElement[bool]:
    """Contacts whose organisation's contract ended on or before ``cut``, or
    who are linked to pupils and every one of those pupils has left on or
    before ``cut``: one child still on roll (or leaving later) keeps a
    contact shared by siblings. The contract is that of the organisation the
    contact belongs to, whose record it is; its pupils normally belong to the
    same organisation (a link to a pupil elsewhere counts once that pupil has
    left).

    Shaped for PostgreSQL's planner: one top-level ``IN`` over a ``UNION``
    (a join), never ``IN`` under ``OR`` (a subplan which, once too big to
    hash, is re-scanned for every contact). Only contacts linked to a pupil
    with an enrolment ended by ``cut`` are candidates; for those, every
    linked pupil's enrolments are checked in one grouped join (a pupil with
    no enrolment, or one still open, gives a row that is not ended by
    ``cut``)."""
    ended = ended_contracts(cut)
    own, link, enrolment = CONTACTS.alias("own"), PUPIL_CONTACTS.alias("link"), ENROLMENTS.alias("enrolment")
    candidates = select(PUPIL_CONTACTS.c.contact_id).where(
        PUPIL_CONTACTS.c.pupil_id.in_(select(ENROLMENTS.c.pupil_id).where(ENROLMENTS.c.leaving_date <= cut))
    )
    every_pupil_left = (
        select(link.c.contact_id)
        .outerjoin(enrolment, enrolment.c.pupil_id == link.c.pupil_id)
        .where(link.c.contact_id.in_(candidates))
        .group_by(link.c.contact_id)
        .having(func.min(case((enrolment.c.leaving_date <= cut, 1), else_=0)) == 1)
    )
    due = union(select(own.c.id).where(own.c.organisation_id.in_(ended)), every_pupil_left)
    held_link = PUPIL_CONTACTS.alias("held_link")
    linked_to_held = exists().where(
        held_link.c.contact_id == CONTACTS.c.id, held_link.c.pupil_id.in_(held(HoldSubject.PUPIL))
    )
    return and_(
        CONTACTS.c.id.in_(due),
        organisation_not_held(CONTACTS.c.organisation_id),
        not_held(CONTACTS.c.id, HoldSubject.CONTACT),
        ~linked_to_held,
    )


def _pupil_not_held() -> ColumnElement[bool]:
    return and_(
        organisation_not_held(PUPILS.c.organisation_id),
        not_held(PUPILS.c.id, HoldSubject.PUPIL),
    )


def pupils_after_contract(cut: date) -> ColumnElement[bool]:
    """Pupils not yet anonymised whose organisation's contract ended on or before ``cut``."""
    return and_(
        PUPILS.c.anonymised_at.is_(None),
        PUPILS.c.organisation_id.in_(ended_contracts(cut)),
        _pupil_not_held(),
    )


def pupils_leavers(cut: date) -> ColumnElement[bool]:
    """Pupils not yet anonymised who left on or before ``cut``."""
    return and_(PUPILS.c.anonymised_at.is_(None), left_by(PUPILS.c.id, cut), _pupil_not_held())


def employees_leavers(cut: date) -> ColumnElement[bool]:
    """Employees not yet anonymised who left on or before ``cut``."""
    return and_(
        EMPLOYEES.c.anonymised_at.is_(None),
        EMPLOYEES.c.leave_date <= cut,
        organisation_not_held(EMPLOYEES.c.organisation_id),
        not_held(EMPLOYEES.c.id, HoldSubject.EMPLOYEE),
    )


def leaver_addresses(cut: date) -> Subquery:
    """(organisation, address in lower case) of every email address on the
    staff records ``employees_leavers`` takes as of ``cut``: read before
    that rule clears them."""
    due = employees_leavers(cut)
    return union(
        *(
            select(EMPLOYEES.c.organisation_id, func.lower(column).label("email")).where(
                due, column.is_not(None)
            )
            for column in (EMPLOYEES.c.work_email, EMPLOYEES.c.personal_email)
        )
    ).subquery("leaver_address")


def correspondence_of_leavers(cut: date) -> ColumnElement[bool]:
    """Messages of a member of staff ``employees_leavers`` takes as of
    ``cut``, at their own school: sent from or to one of their addresses on
    the staff record, or tagged with them. Kept for the others in them;
    messages under a hold (their school's, or one on anyone they name) are
    left as they are. The sender and recipient addresses are matched in
    lower case, as people type them."""
    addresses = leaver_addresses(cut)
    sent, to_message = MESSAGES.alias("sent"), MESSAGES.alias("to_message")
    linked = union(
        select(sent.c.id).join(
            addresses,
            and_(
                addresses.c.organisation_id == sent.c.organisation_id,
                addresses.c.email == func.lower(sent.c.sender_email),
            ),
        ),
        select(MESSAGE_RECIPIENTS.c.message_id)
        .join(to_message, to_message.c.id == MESSAGE_RECIPIENTS.c.message_id)
        .join(
            addresses,
            and_(
                addresses.c.organisation_id == to_message.c.organisation_id,
                addresses.c.email == func.lower(MESSAGE_RECIPIENTS.c.email),
            ),
        ),
        select(MESSAGE_PEOPLE.c.message_id).where(
            MESSAGE_PEOPLE.c.employee_id.in_(select(EMPLOYEES.c.id).where(employees_leavers(cut)))
        ),
    )
    return and_(
        MESSAGES.c.id.in_(linked),
        organisation_not_held(MESSAGES.c.organisation_id),
        MESSAGES.c.id.not_in(_messages_naming_held_people()),
    )


def helpdesk_of_leavers(cut: date) -> ColumnElement[bool]:
    """Support tickets a member of staff ``employees_leavers`` takes as of
    ``cut`` raised at their own school: linked to their staff record, or
    raised from one of its addresses (matched in lower case). Kept as the
    school's record; tickets under a hold are left as they are."""
    addresses = leaver_addresses(cut)
    raised = TICKETS.alias("raised")
    theirs = union(
        select(TICKETS.c.id).where(
            TICKETS.c.requester_employee_id.in_(select(EMPLOYEES.c.id).where(employees_leavers(cut)))
        ),
        select(raised.c.id).join(
            addresses,
            and_(
                addresses.c.organisation_id == raised.c.organisation_id,
                addresses.c.email == func.lower(raised.c.requester_email),
            ),
        ),
    )
    return and_(TICKETS.c.id.in_(theirs), ticket_not_held())


def setup_after_processing(cut: date) -> ColumnElement[bool]:
    """Setup files processed on or before ``cut`` (a UTC day); unprocessed ones never."""
    return and_(
        SETUP_IMPORTS.c.processed_at < start_of_day_after(cut),
        organisation_not_held(SETUP_IMPORTS.c.organisation_id),
    )
