"""The pupil store as a Source: identity, characteristics, enrolments,
attendance, assessments and SEND records."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.orgs.models import Organisation
from app.sources.items import columns_of, iso, sorted_ids
from app.sources.matching import CandidatePool, PersonFacts, TypedIdentity, concerns
from app.sources.protocol import Candidate, Identity, Item, Match, PersonKind
from app.sources.pupils.models import Assessment, AttendanceWeek, Enrolment, Pupil, SendRecord
from app.sources.pupils.register import year_summaries

NAME = "pupils"
_IDENTITY_COLUMNS = (
    "upn", "former_upn", "legal_forename", "middle_names", "legal_surname", "preferred_forename",
    "preferred_surname", "date_of_birth", "gender", "address_line1", "address_line2", "town", "postcode",
    "anonymised_at",
)  # fmt: skip
_CHARACTERISTIC_COLUMNS = ("ethnicity", "first_language", "fsm_eligible")
_ASSESSMENT_COLUMNS = ("key_stage", "subject", "method", "result", "assessed_on", "recorded_by")


def _upn_typed(value: str) -> str:
    return "".join(value.split()).upper()


class PupilSource:
    name = NAME
    title = "Pupil records (MIS)"
    categories = ("identity", "characteristics", "enrolment", "attendance", "assessment", "send")
    roles = frozenset({"pupil"})

    def find(self, session: Session, identity: Identity) -> list[Candidate]:
        if not concerns(identity, self.roles):
            return []
        typed = TypedIdentity.of(identity)
        orgs = sorted_ids(identity.organisation_ids)
        base = select(Pupil, Organisation.name).join(Organisation, Organisation.id == Pupil.organisation_id)
        in_orgs = Pupil.organisation_id.in_(orgs)
        pool = CandidatePool()
        if identity.upn:
            upn = _upn_typed(identity.upn)
            pool.add(
                session.execute(base.where(in_orgs, or_(Pupil.upn == upn, Pupil.former_upn == upn))),
                lambda pupil: "upn_exact" if pupil.upn == upn else "former_upn_exact",
            )
        if typed.date_of_birth:
            # Everyone born that day in these schools: a handful of rows,
            # among which typos, preferred and swapped names are scored.
            pool.add(session.execute(base.where(in_orgs, Pupil.date_of_birth == typed.date_of_birth)))
        if typed.surname_key and typed.forename_keys:
            # The names exactly (or swapped) whatever the date of birth, to
            # catch a mistyped date.
            forename_keys = sorted(typed.forename_keys)
            pool.add(
                session.execute(
                    base.where(
                        in_orgs,
                        or_(
                            and_(
                                Pupil.surname_key == typed.surname_key,
                                Pupil.forename_key.in_(forename_keys),
                            ),
                            and_(
                                Pupil.surname_key.in_(forename_keys), Pupil.forename_key == typed.surname_key
                            ),
                        ),
                    )
                )
            )
        return pool.candidates(typed, source=NAME, kind=PersonKind.PUPIL, facts=_facts, summary=_summary)

    def collect(self, session: Session, match: Match) -> Iterator[Item]:
        orgs = sorted_ids(match.organisation_ids)
        if not match.pupil_ids or not orgs:
            return
        rows = session.execute(
            select(Pupil, Organisation.name)
            .join(Organisation, Organisation.id == Pupil.organisation_id)
            .where(Pupil.id.in_(sorted_ids(match.pupil_ids)), Pupil.organisation_id.in_(orgs))
            .order_by(Pupil.id)
        ).all()
        if not rows:
            return
        ids = [pupil.id for pupil, _ in rows]
        for pupil, org_name in rows:
            yield Item(
                NAME,
                "identity",
                f"pupil:{pupil.id}:identity",
                "Pupil record: identity",
                {"pupil_id": str(pupil.id), "school": org_name, **columns_of(pupil, _IDENTITY_COLUMNS)},
            )
            yield Item(
                NAME,
                "characteristics",
                f"pupil:{pupil.id}:characteristics",
                "Pupil record: characteristics",
                {"pupil_id": str(pupil.id), **columns_of(pupil, _CHARACTERISTIC_COLUMNS)},
            )
        yield from _enrolments(session, ids, orgs)
        yield from _attendance(session, ids)
        yield from _assessments(session, ids)
        yield from _send(session, ids)


def _facts(pupil: Pupil) -> PersonFacts:
    return PersonFacts.of(
        forename_key=pupil.forename_key,
        surname_key=pupil.surname_key,
        surname=pupil.legal_surname,
        preferred_forename=pupil.preferred_forename,
        preferred_surname=pupil.preferred_surname,
        middle_names=pupil.middle_names,
        date_of_birth=pupil.date_of_birth,
        postcode=pupil.postcode,
    )


def _summary(pupil: Pupil, org_name: str) -> dict[str, Any]:
    preferred = " ".join(filter(None, [pupil.preferred_forename, pupil.preferred_surname]))
    return {
        "name": f"{pupil.legal_forename} {pupil.legal_surname}",
        "preferred_name": preferred or None,
        "date_of_birth": iso(pupil.date_of_birth),
        "upn": pupil.upn,
        "postcode": pupil.postcode,
        "organisation": org_name,
        "role": "pupil",
    }


def _enrolments(session: Session, ids: list[uuid.UUID], orgs: list[uuid.UUID]) -> Iterator[Item]:
    for enrolment, org_name in session.execute(
        select(Enrolment, Organisation.name)
        .join(Organisation, Organisation.id == Enrolment.organisation_id)
        .where(Enrolment.pupil_id.in_(ids), Enrolment.organisation_id.in_(orgs))
        .order_by(Enrolment.pupil_id, Enrolment.on_roll_date)
    ):
        yield Item(
            NAME,
            "enrolment",
            f"enrolment:{enrolment.id}",
            f"Enrolment at {org_name}",
            {
                "pupil_id": str(enrolment.pupil_id),
                "school": org_name,
                **columns_of(enrolment, ("on_roll_date", "leaving_date", "year_group", "leaving_reason")),
            },
            occurred_on=enrolment.on_roll_date,
        )


def _attendance(session: Session, ids: list[uuid.UUID]) -> Iterator[Item]:
    weeks_by_pupil: dict[uuid.UUID, list[AttendanceWeek]] = {}
    for week in session.scalars(
        select(AttendanceWeek)
        .where(AttendanceWeek.pupil_id.in_(ids))
        .order_by(AttendanceWeek.pupil_id, AttendanceWeek.week_start)
    ):
        weeks_by_pupil.setdefault(week.pupil_id, []).append(week)
    for pupil_id, weeks in weeks_by_pupil.items():
        for year, summary in year_summaries(weeks).items():
            yield Item(
                NAME,
                "attendance",
                f"attendance:{pupil_id}:{year}",
                f"Attendance {year}",
                {"pupil_id": str(pupil_id), **summary},
                occurred_on=date.fromisoformat(summary["weeks"][0]["week_start"]),
            )


def _assessments(session: Session, ids: list[uuid.UUID]) -> Iterator[Item]:
    by_year: dict[tuple[uuid.UUID, str], list[Assessment]] = {}
    for assessment in session.scalars(
        select(Assessment)
        .where(Assessment.pupil_id.in_(ids))
        .order_by(Assessment.pupil_id, Assessment.assessed_on, Assessment.subject, Assessment.id)
    ):
        by_year.setdefault((assessment.pupil_id, assessment.academic_year), []).append(assessment)
    for (pupil_id, year), rows in by_year.items():
        yield Item(
            NAME,
            "assessment",
            f"assessments:{pupil_id}:{year}",
            f"Assessments {year}",
            {
                "pupil_id": str(pupil_id),
                "academic_year": year,
                "assessments": [columns_of(row, _ASSESSMENT_COLUMNS) for row in rows],
            },
            occurred_on=rows[0].assessed_on,
        )


def _send(session: Session, ids: list[uuid.UUID]) -> Iterator[Item]:
    for record in session.scalars(
        select(SendRecord)
        .where(SendRecord.pupil_id.in_(ids))
        .order_by(SendRecord.pupil_id, SendRecord.start_date)
    ):
        yield Item(
            NAME,
            "send",
            f"send:{record.id}",
            "Special educational needs record",
            {
                "pupil_id": str(record.pupil_id),
                **columns_of(
                    record, ("provision", "primary_need", "start_date", "end_date", "review_date", "notes")
                ),
            },
            occurred_on=record.start_date,
        )


SOURCE = PupilSource()
