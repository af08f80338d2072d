"""School staff (current and former) as a Source."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.orgs.models import Organisation
from app.restriction.lookup import is_restricted, restriction_mark
from app.sources.employees.models import Employee
from app.sources.items import ids_param, iso, sorted_ids, values_of
from app.sources.matching import CandidatePool, PersonFacts, TypedIdentity, concerns
from app.sources.protocol import Candidate, Identity, Item, Match, PersonKind

NAME = "employees"
_RECORD_COLUMNS = (
    "staff_number", "title", "forename", "surname", "preferred_name", "gender", "date_of_birth",
    "work_email", "personal_email", "phone", "role", "teaching_status", "teacher_reference_number",
    "start_date", "leave_date", "anonymised_at",
)  # fmt: skip


class EmployeeSource:
    name = NAME
    title = "Staff records (school workforce)"
    categories = ("staff_record",)
    roles = frozenset({"staff", "former_staff"})

    def find(self, session: Session, identity: Identity) -> list[Candidate]:
        if not concerns(identity, self.roles):
            return []
        typed = TypedIdentity.of(identity)
        orgs = sorted_ids(identity.organisation_ids)
        base = select(Employee, Organisation.name).join(
            Organisation, Organisation.id == Employee.organisation_id
        )
        in_orgs = Employee.organisation_id.in_(orgs)
        pool = CandidatePool()

        def gather(statement: Any, reason: str | None = None) -> None:
            pool.add(session.execute(statement), reason)

        if identity.staff_number and identity.staff_number.strip():
            typed_number = identity.staff_number.strip()
            numbers = sorted({typed_number, typed_number.upper()})
            gather(base.where(in_orgs, Employee.staff_number.in_(numbers)), "staff_number_exact")
        if typed.emails:
            emails = sorted(typed.emails)
            gather(
                base.where(
                    in_orgs, or_(Employee.work_email.in_(emails), Employee.personal_email.in_(emails))
                ),
                "email_exact",
            )
        if typed.date_of_birth:
            # Staff of these schools born that day: typos, preferred and
            # swapped names are scored among them. The organisation prefix of
            # the (organisation_id, staff_number) unique index bounds the scan.
            gather(base.where(in_orgs, Employee.date_of_birth == typed.date_of_birth))
        if typed.lookup_keys:
            gather(base.where(in_orgs, Employee.surname_key.in_(sorted(typed.lookup_keys))))
        return pool.candidates(typed, source=NAME, kind=PersonKind.EMPLOYEE, facts=_facts, summary=_summary)

    def collect(self, session: Session, match: Match) -> Iterator[Item]:
        orgs = sorted_ids(match.organisation_ids)
        if not match.employee_ids or not orgs:
            return
        rows = session.execute(_EMPLOYEES, {"ids": sorted_ids(match.employee_ids), "orgs": orgs}).all()
        restricted = is_restricted(session, PersonKind.EMPLOYEE, [row[0] for row in rows])
        for row in rows:
            employee_id, org_name = str(row[0]), row[1]
            yield Item(
                NAME,
                "staff_record",
                f"employee:{employee_id}",
                f"Staff record at {org_name}",
                {
                    "employee_id": employee_id,
                    "organisation": org_name,
                    **values_of(_RECORD_COLUMNS, row[2:]),
                    **restriction_mark(row[0] in restricted),
                },
                occurred_on=row.start_date,
            )


def _facts(employee: Employee) -> PersonFacts:
    return PersonFacts.of(
        forename_key=employee.forename_key,
        surname_key=employee.surname_key,
        surname=employee.surname,
        preferred_forename=employee.preferred_name,
        date_of_birth=employee.date_of_birth,
    )


def _summary(employee: Employee, org_name: str) -> dict[str, Any]:
    return {
        "name": f"{employee.forename} {employee.surname}",
        "preferred_name": employee.preferred_name,
        "date_of_birth": iso(employee.date_of_birth),
        "staff_number": employee.staff_number,
        "job_role": employee.role,
        "left_on": iso(employee.leave_date),
        # The addresses the correspondence, helpdesk and access-log stores
        # know the member of staff by (``app.collect.identity`` puts them in
        # the match): messages sent and received, tickets, who opened what.
        "emails": [email for email in (employee.work_email, employee.personal_email) if email],
        "organisation": org_name,
        "role": "former_staff" if employee.leave_date else "staff",
    }


# The collect query, built once (see ``app.sources.items``).
_E, _O = Employee.__table__, Organisation.__table__
_EMPLOYEES = (
    select(_E.c.id, _O.c.name, *(_E.c[name] for name in _RECORD_COLUMNS))
    .join_from(_E, _O, _O.c.id == _E.c.organisation_id)
    .where(_E.c.id.in_(ids_param()), _E.c.organisation_id.in_(ids_param("orgs")))
    .order_by(_E.c.id)
)


SOURCE = EmployeeSource()
