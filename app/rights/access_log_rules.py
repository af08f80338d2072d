"""The access log follows the records it refers to: which entries and
support-access permissions the retention schedule takes, as SQL.

The processing register says of both: "Kept for as long as the records it
refers to". The schedule ends a record by deleting it (a contact) or by
anonymising it (a pupil, a member of staff: ``anonymised_at``), and two
rules follow it:

- ``access_log_after_records``: the entries about a record that was
  anonymised on or before the cut-off, or is gone. The period counts from the
  anonymisation (the seeded one is zero: the entries go in the sweep that
  anonymises the record). A deleted record leaves no date behind, so for the
  entries about it the period counts from the entry's own time: with the
  seeded zero they go in the first sweep that finds the record gone, with a
  longer period not before the entry is that old.
- ``support_access_after_records``: the permissions a member of staff gave
  the support team, once their staff record was anonymised on or before the
  cut-off and no entry still kept was made under them.

What stays is what an erasure keeps (``app.erasure.plan``), for the same
reasons:

- The entries naming a former member of staff as the one who viewed or
  changed other people's records (``art17_3_b_actor``). They are the school's
  security record of those other records (Art 32), which anonymising the
  member of staff does not end: they stay, name and address as logged, for
  as long as the records they are about and go with them under this rule.
  Anonymising a staff record removes what is no longer needed about the
  member of staff; the school must still be able to show who opened a
  pupil's record while that record is kept.
- A permission that kept entries were made under (``art17_3_b_permission``):
  it shows the support team looked at those records with permission.
- The entries and permissions an erasure kept: of a person confirmed in an
  erasure case whose plan was approved. The certificate says they are kept
  for security (Art 17(3)(b)); they stay until that case's record is reduced
  (its confirmed matches deleted, ``app.cases.record_retention``).
- Anything under a legal hold: on the organisation (or its trust), on the
  person an entry is about, or on the member of staff who acted (by their
  address), whose entries are the evidence a hold on them preserves.

A dry run changes nothing, so the records the run's earlier rules would
delete or anonymise are still there: ``Earlier`` hands those rules' clauses
to these two, which then count what the real run takes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Select, Table, and_, exists, func, literal, not_, or_, select, union

from app.collect.models import CaseCandidate, Decision
from app.erasure.models import ErasurePlan, PlanStatus
from app.rights.models import HoldSubject
from app.rights.periods import start_of_day_after
from app.rights.predicates import CONTACTS, EMPLOYEES, HOLDS, PUPILS, held, not_held, organisation_not_held
from app.sources.access_log.models import AccessLogEntry, SupportAccessGrant
from app.sources.protocol import PersonKind

ACCESS_LOG, GRANTS = AccessLogEntry.__table__, SupportAccessGrant.__table__
CANDIDATES, ERASURE_PLANS = CaseCandidate.__table__, ErasurePlan.__table__


@dataclass(frozen=True)
class Earlier:
    """The clauses of the rules applied before this one in the run, per
    table, when they are not applied yet (a dry run); empty in a real run,
    where what they took is already gone or marked."""

    as_of: date
    pending: Mapping[Table, Sequence[ColumnElement[bool]]] = field(default_factory=dict)

    def taking(self, table: Table, cut: date, *, anonymised: bool) -> ColumnElement[bool] | None:
        """What the earlier rules take from ``table``, if this rule would see
        it removed: a deletion always, an anonymisation (dated ``as_of``)
        only when the cut-off reaches the run's day."""
        clauses = self.pending.get(table)
        if not clauses or (anonymised and cut < self.as_of):
            return None
        return or_(*clauses)


def kept_by_an_erasure(kind: ColumnElement, record_id: ColumnElement) -> ColumnElement[bool]:
    """The record is confirmed as the person's in an erasure case with an
    approved plan, which keeps its access log and permissions."""
    candidate, plan = CANDIDATES.alias("erased"), ERASURE_PLANS.alias("erasure_plan")
    return exists().where(
        candidate.c.kind == kind,
        candidate.c.record_id == record_id,
        candidate.c.decision == Decision.CONFIRMED,
        plan.c.case_id == candidate.c.case_id,
        plan.c.status != PlanStatus.DRAFT,
    )


def _removed(
    kind: PersonKind, table: Table, cut: date, earlier: Earlier, *, schedule_deletes: bool
) -> ColumnElement[bool]:
    """Over ``access_log``: the entry is about a record of ``kind`` that was
    anonymised on or before ``cut``, or is gone and the entry was made on or
    before ``cut``; in a dry run, also one the earlier rules take (delete,
    when ``schedule_deletes`` says the schedule deletes such records, else
    anonymise)."""
    record = table.alias()
    gone = [~exists().where(record.c.id == ACCESS_LOG.c.person_id)]
    ways = []
    if "anonymised_at" in table.c:
        marked = table.alias()
        ways.append(exists().where(marked.c.id == ACCESS_LOG.c.person_id, marked.c.anonymised_at <= cut))
    pending = earlier.taking(table, cut, anonymised=not schedule_deletes)
    if pending is not None:
        taken = exists().where(table.c.id == ACCESS_LOG.c.person_id, pending)
        (gone if schedule_deletes else ways).append(taken)
    # A deleted record leaves no date behind: the entry's own time is the
    # one the period can count from.
    ways.append(and_(ACCESS_LOG.c.occurred_at < start_of_day_after(cut), or_(*gone)))
    return and_(ACCESS_LOG.c.person_kind == kind, or_(*ways))


def _held_staff_addresses() -> Select:
    held_staff = EMPLOYEES.c.id.in_(held(HoldSubject.EMPLOYEE))
    return union(
        *(
            select(func.lower(column)).where(held_staff, column.is_not(None))
            for column in (EMPLOYEES.c.work_email, EMPLOYEES.c.personal_email)
        )
    )


def access_log_after_records(cut: date, earlier: Earlier) -> ColumnElement[bool]:
    """Entries about a contact, pupil or member of staff whose record is gone
    or was anonymised on or before ``cut``, except those an erasure kept or
    a legal hold keeps."""
    hold = HOLDS.alias("person_hold")
    person_held = exists().where(
        hold.c.subject_kind == ACCESS_LOG.c.person_kind,
        hold.c.subject_id == ACCESS_LOG.c.person_id,
        hold.c.released_at.is_(None),
    )
    return and_(
        or_(
            _removed(PersonKind.CONTACT, CONTACTS, cut, earlier, schedule_deletes=True),
            _removed(PersonKind.PUPIL, PUPILS, cut, earlier, schedule_deletes=False),
            _removed(PersonKind.EMPLOYEE, EMPLOYEES, cut, earlier, schedule_deletes=False),
        ),
        ~kept_by_an_erasure(ACCESS_LOG.c.person_kind, ACCESS_LOG.c.person_id),
        organisation_not_held(ACCESS_LOG.c.organisation_id),
        ~person_held,
        or_(
            ACCESS_LOG.c.actor_email.is_(None),
            func.lower(ACCESS_LOG.c.actor_email).not_in(_held_staff_addresses()),
        ),
    )


def support_access_after_records(cut: date, earlier: Earlier) -> ColumnElement[bool]:
    """Permissions given by a member of staff whose record was anonymised on
    or before ``cut``, which no entry still kept was made under, except
    those an erasure kept or a legal hold keeps. A permission that names no
    staff record (imported with a name and address only) is never taken:
    nothing says whose record it was."""
    grantor = EMPLOYEES.alias("grantor")
    ways = [exists().where(grantor.c.id == GRANTS.c.granted_by_employee_id, grantor.c.anonymised_at <= cut)]
    pending_staff = earlier.taking(EMPLOYEES, cut, anonymised=True)
    if pending_staff is not None:
        ways.append(exists().where(EMPLOYEES.c.id == GRANTS.c.granted_by_employee_id, pending_staff))
    # An entry the access-log rule takes in this run no longer needs the permission.
    pending_entries = earlier.taking(ACCESS_LOG, cut, anonymised=False)
    kept_entry = [not_(pending_entries)] if pending_entries is not None else []
    still_used = exists().where(ACCESS_LOG.c.grant_id == GRANTS.c.id, *kept_entry)
    return and_(
        GRANTS.c.granted_by_employee_id.is_not(None),
        or_(*ways),
        ~still_used,
        ~kept_by_an_erasure(literal(PersonKind.EMPLOYEE.value), GRANTS.c.granted_by_employee_id),
        organisation_not_held(GRANTS.c.organisation_id),
        not_held(GRANTS.c.granted_by_employee_id, HoldSubject.EMPLOYEE),
    )
