"""Which legal holds cover the records an approved plan is about to change.

The plan is built under the holds active then (a held organisation's
records get "keep" steps; a hold on the person refuses the plan), but a
hold may be placed between approval and execution, or between ``execute``
queueing a store's job and the job running. So execution asks again, for
the steps still planned that change something, about every scope a
``LegalHold`` has (``app.rights.models``): a hold on the person (any of their
confirmed records); a hold on an organisation any of those steps acts in
(it covers all of that organisation's records); and a hold on another
person named by a record a step changes (a message tagging them, a ticket
they raised or that is about them, a contact record linked to them), as
the retention sweeper honours them (``app.rights.predicates``).
``ErasureBlocked`` says which. Reads only.

The plan builder asks the same questions record by record
(``named_holds_by_record``, ``linked_holds_by_organisation``), so the records
a hold on someone else covers are planned as "keep" before the DPO approves,
and execution finds nothing of theirs to block on. ``stopped`` tells the
console why an executing erasure stopped, so staff can resume it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, select

from app.cases.models import Case, CaseEvent
from app.erasure.models import ErasurePlan, ErasureStep, PlanStatus, StepAction, StepState
from app.extensions import db
from app.jobs.models import Job, JobStatus
from app.orgs.models import Organisation, OrgKind
from app.rights.models import HoldSubject, LegalHold
from app.sources.contacts.models import Contact, PupilContact
from app.sources.correspondence.models import MessagePerson
from app.sources.helpdesk.models import Ticket
from app.sources.protocol import Match


class ErasureBlocked(Exception):
    """The erasure cannot go ahead (a legal hold over the person, or over
    records it would change); the message is for staff and may quote the
    hold's reason."""

    def __init__(self, message: str, hold_ids: list[uuid.UUID]) -> None:
        super().__init__(message)
        self.hold_ids = hold_ids


def placed(hold: LegalHold) -> str:
    """The hold's reason and when it was placed, as staff are shown it."""
    return f"{hold.reason} (placed {hold.placed_at:%-d %B %Y})"


def active_holds(kind: HoldSubject, ids: Iterable[uuid.UUID]) -> list[LegalHold]:
    """Active holds on any of the people or organisations ``ids``, oldest first."""
    listed = sorted(set(ids), key=str)
    if not listed:
        return []
    query = select(LegalHold).where(
        LegalHold.subject_kind == kind, LegalHold.subject_id.in_(listed), LegalHold.released_at.is_(None)
    )
    return sorted(db.session.scalars(query), key=oldest_first)


def organisation_holds(organisation_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, LegalHold]:
    """The active hold covering each of these organisations: its own or,
    for a member school, its trust's (a hold on a trust covers its schools,
    as in retention). The oldest wins where both are held."""
    ids = set(organisation_ids)
    if not ids:
        return {}
    trusts: dict[uuid.UUID, uuid.UUID] = dict(
        db.session.execute(
            select(Organisation.id, Organisation.trust_id).where(
                Organisation.id.in_(ids), Organisation.trust_id.is_not(None)
            )
        ).all()
    )
    on: dict[uuid.UUID, LegalHold] = {}
    for hold in active_holds(HoldSubject.ORGANISATION, ids | set(trusts.values())):  # oldest first
        on.setdefault(hold.subject_id, hold)
    covering = {org: on.get(org) or on.get(trusts.get(org)) for org in ids}  # type: ignore[arg-type]
    return {org: hold for org, hold in covering.items() if hold is not None}


def check_person_holds(match: Match) -> None:
    """``ErasureBlocked`` when an active hold names one of the subject's records."""
    holds = [
        *active_holds(HoldSubject.PUPIL, match.pupil_ids),
        *active_holds(HoldSubject.CONTACT, match.contact_ids),
        *active_holds(HoldSubject.EMPLOYEE, match.employee_ids),
    ]
    if holds:
        reasons = "; ".join(placed(hold) for hold in holds)
        raise ErasureBlocked(
            f"The person is under a legal hold, so nothing can be erased until it is released: {reasons}.",
            [hold.id for hold in holds],
        )


def changing_steps(plan: ErasurePlan, source: str | None = None) -> list[ErasureStep]:
    """The steps still to do that change a store (``keep`` changes nothing)."""
    return [
        step
        for step in plan.steps
        if step.state is StepState.PLANNED
        and step.action is not StepAction.KEEP
        and (source is None or step.source == source)
    ]


def _named(steps: list[ErasureStep], source: str) -> list[str]:
    return [value for step in steps if step.source == source for value in step.record_ids or []]


def named_person_holds(steps: list[ErasureStep], match: Match) -> list[LegalHold]:
    """Active holds on people other records of the steps name: the people a
    listed message tags, the pupil a listed ticket is about and the member
    of staff who raised it, the pupils the subject's contact records (in the
    organisations of a contacts step) are linked to. (A hold on the subject
    is ``check_person_holds``'s.)"""
    found = [named_holds_by_record(source, _named(steps, source)) for source in _NAMING]
    contact_orgs = (uuid.UUID(org) for s in steps if s.source == "contacts" for org in s.organisation_ids)
    found.append(linked_holds_by_organisation(match, contact_orgs))
    return list({hold.id: hold for held in found for holds in held.values() for hold in holds}.values())


def _on(kind: HoldSubject, person: ColumnElement) -> ColumnElement[bool]:
    """An active hold on the person a row's ``person`` column names (a join)."""
    return and_(
        LegalHold.subject_kind == kind, LegalHold.subject_id == person, LegalHold.released_at.is_(None)
    )


def _message_holds(ids: list[uuid.UUID]) -> list[Select]:
    listed = MessagePerson.message_id.in_(ids)
    return [
        select(MessagePerson.message_id, LegalHold).join(LegalHold, _on(kind, person)).where(listed)
        for kind, person in (
            (HoldSubject.PUPIL, MessagePerson.pupil_id),
            (HoldSubject.CONTACT, MessagePerson.contact_id),
            (HoldSubject.EMPLOYEE, MessagePerson.employee_id),
        )
    ]


def _ticket_holds(ids: list[uuid.UUID]) -> list[Select]:
    listed = Ticket.id.in_(ids)
    return [
        select(Ticket.id, LegalHold).join(LegalHold, _on(kind, person)).where(listed)
        for kind, person in (
            (HoldSubject.PUPIL, Ticket.about_pupil_id),
            (HoldSubject.EMPLOYEE, Ticket.requester_employee_id),
        )
    ]


# The stores whose listed records name other people: (record id, hold) lookups.
_NAMING: dict[str, Callable[[list[uuid.UUID]], list[Select]]] = {
    "correspondence": _message_holds,
    "helpdesk": _ticket_holds,
}


def _grouped(queries: Iterable[Select]) -> dict[uuid.UUID, list[LegalHold]]:
    """(key, hold) rows as each key's holds, oldest first."""
    found: dict[uuid.UUID, dict[uuid.UUID, LegalHold]] = {}
    for query in queries:  # a few small lookups, each by index
        for key, hold in db.session.execute(query):
            found.setdefault(key, {})[hold.id] = hold
    return {key: sorted(holds.values(), key=oldest_first) for key, holds in found.items()}


def oldest_first(hold: LegalHold) -> tuple:
    return hold.placed_at, str(hold.id)


def named_holds_by_record(source: str, record_ids: Iterable[str]) -> dict[str, list[LegalHold]]:
    """For a store whose records name other people, the active holds on the
    people each listed record (an id as the plan lists it) names; records
    naming no one held are left out, as is any other store."""
    lookups = _NAMING.get(source)
    ids = sorted({uuid.UUID(value) for value in record_ids}, key=str)
    if lookups is None or not ids:
        return {}
    return {str(record): holds for record, holds in _grouped(lookups(ids)).items()}


def linked_holds_by_organisation(
    match: Match, organisation_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[LegalHold]]:
    """Per organisation, the active holds on pupils the subject's contact
    records there are linked to (the contacts store is not listed by id, so
    a hold covers the organisation's step)."""
    orgs = sorted(set(organisation_ids), key=str)
    if not match.contact_ids or not orgs:
        return {}
    query = (
        select(Contact.organisation_id, LegalHold)
        .select_from(PupilContact)
        .join(Contact, Contact.id == PupilContact.contact_id)
        .join(LegalHold, _on(HoldSubject.PUPIL, PupilContact.pupil_id))
        .where(
            PupilContact.contact_id.in_(sorted(match.contact_ids, key=str)), Contact.organisation_id.in_(orgs)
        )
    )
    return _grouped([query])


def check_plan_holds(plan: ErasurePlan, match: Match, source: str | None = None) -> None:
    """``ErasureBlocked`` when an active hold covers a record the plan's
    planned steps (of ``source`` alone, if given) would change."""
    steps = changing_steps(plan, source)
    # The whole plan is refused under a hold on the person, as when it was
    # built; a store's job with nothing to change has nothing to refuse.
    if source is None or steps:
        check_person_holds(match)
    if not steps:
        return
    organisations_acted_in = (uuid.UUID(org) for step in steps for org in step.organisation_ids)
    by_id = {
        hold.id: hold
        for hold in [
            *organisation_holds(organisations_acted_in).values(),
            *named_person_holds(steps, match),
        ]
    }
    if not by_id:
        return
    held = sorted(by_id.values(), key=oldest_first)
    raise ErasureBlocked(
        f"Records this erasure would change are under a legal hold, so nothing is erased until it is "
        f"released: {'; '.join(described(held))}.",
        [hold.id for hold in held],
    )


def described(held: list[LegalHold]) -> list[str]:
    """Each hold as staff are shown it: what it covers (an organisation by
    name, another person only by kind), its reason and when it was placed."""
    organisations = [hold.subject_id for hold in held if hold.subject_kind is HoldSubject.ORGANISATION]
    names: dict[uuid.UUID, str] = {
        org_id: f"{name} and its schools" if kind is OrgKind.TRUST else name
        for org_id, name, kind in db.session.execute(
            select(Organisation.id, Organisation.name, Organisation.kind).where(
                Organisation.id.in_(organisations)
            )
        )
    }
    return [f"{_scope(hold, names)}: {placed(hold)}" for hold in held]


def described_by_id(hold_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """``described`` for the holds (released or not) with these ids."""
    ids = sorted(set(hold_ids), key=str)
    if not ids:
        return {}
    held = sorted(db.session.scalars(select(LegalHold).where(LegalHold.id.in_(ids))), key=oldest_first)
    return {hold.id: text for hold, text in zip(held, described(held), strict=True)}


# Whom a hold on someone other than the subject is on, without naming them.
OTHER_PERSON = {
    HoldSubject.PUPIL: "another pupil",
    HoldSubject.CONTACT: "a parent or carer",
    HoldSubject.EMPLOYEE: "a member of staff",
}


def _scope(hold: LegalHold, names: dict[uuid.UUID, str]) -> str:
    if hold.subject_kind is HoldSubject.ORGANISATION:
        return f"every record of {names.get(hold.subject_id, 'an organisation')}"
    return f"records that also concern {OTHER_PERSON[hold.subject_kind]}"


@dataclass(frozen=True)
class Stopped:
    """An executing erasure whose stores' jobs all ended with steps left."""

    sources: list[str]  # the stores with steps still planned
    # The holds the jobs stopped under since the erasure last (re)started,
    # oldest first; some may have been released since.
    holds: list[LegalHold]


def stopped(case: Case, plan: ErasurePlan) -> Stopped | None:
    """Why an executing plan is not moving, for staff to resume it: ``None``
    unless steps are still planned and none of their stores' jobs is queued
    or running (``execute`` then queues those stores again). The holds come
    from the case's timeline (``erasure_blocked`` events name them by id)."""
    planned = [step for step in plan.steps if step.state is StepState.PLANNED]
    if plan.status is not PlanStatus.EXECUTING or not planned or under_way(planned):
        return None
    sources = list(dict.fromkeys(step.source for step in planned))  # in the plan's order
    resumed = db.session.scalar(
        select(func.max(CaseEvent.at)).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == "erasure_resumed"
        )
    )
    blocked = select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "erasure_blocked")
    if resumed is not None:  # an earlier stop's holds are no longer why
        blocked = blocked.where(CaseEvent.at > resumed)
    hold_ids = {
        uuid.UUID(value)
        for event in db.session.scalars(blocked)
        if event.data.get("source") in sources
        for value in event.data.get("holds", [])
    }
    holds = db.session.scalars(select(LegalHold).where(LegalHold.id.in_(sorted(hold_ids, key=str))))
    return Stopped(sources, sorted(holds, key=oldest_first))


def under_way(steps: list[ErasureStep]) -> bool:
    """A job of one of the steps is queued or running."""
    jobs = sorted({step.job_id for step in steps if step.job_id}, key=str)
    if not jobs:
        return False
    query = select(Job.id).where(Job.id.in_(jobs), Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
    return db.session.scalar(query.limit(1)) is not None
