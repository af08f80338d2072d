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
from app.restriction.lookup import is_restricted, restriction_mark
from app.sources.items import ids_param, iso, sorted_ids, values_of
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
        rows = session.execute(_PUPILS, {"ids": sorted_ids(match.pupil_ids), "orgs": orgs}).all()
        if not rows:
            return
        ids = [row[0] for row in rows]
        restricted = is_restricted(session, PersonKind.PUPIL, ids)
        identity_end = 2 + len(_IDENTITY_COLUMNS)
        for row in rows:
            pupil_id = str(row[0])
            yield Item(
                NAME,
                "identity",
                f"pupil:{pupil_id}:identity",
                "Pupil record: identity",
                {
                    "pupil_id": pupil_id,
                    "school": row[1],
                    **values_of(_IDENTITY_COLUMNS, row[2:identity_end]),
                    **restriction_mark(row[0] in restricted),
                },
            )
            yield Item(
                NAME,
                "characteristics",
                f"pupil:{pupil_id}:characteristics",
                "Pupil record: characteristics",
                {"pupil_id": pupil_id, **values_of(_CHARACTERISTIC_COLUMNS, row[identity_end:])},
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
    for row in session.execute(_ENROLMENTS, {"ids": ids, "orgs": orgs}):
        enrolment_id, pupil_id, org_name, on_roll_date = row[0], row[1], row[2], row[3]
        yield Item(
            NAME,
            "enrolment",
            f"enrolment:{enrolment_id}",
            f"Enrolment at {org_name}",
            {"pupil_id": str(pupil_id), "school": org_name, **values_of(_ENROLMENT_COLUMNS, row[3:])},
            occurred_on=on_roll_date,
        )


def _attendance(session: Session, ids: list[uuid.UUID]) -> Iterator[Item]:
    # Rows carry ``week_start`` and ``slots`` as attributes, like the model.
    weeks_by_pupil: dict[uuid.UUID, list[Any]] = {}
    for week in session.execute(_ATTENDANCE, {"ids": ids}):
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
    by_year: dict[tuple[uuid.UUID, str], list[Any]] = {}
    for row in session.execute(_ASSESSMENTS, {"ids": ids}):
        by_year.setdefault((row[0], row[1]), []).append(row)
    for (pupil_id, year), rows in by_year.items():
        yield Item(
            NAME,
            "assessment",
            f"assessments:{pupil_id}:{year}",
            f"Assessments {year}",
            {
                "pupil_id": str(pupil_id),
                "academic_year": year,
                "assessments": [values_of(_ASSESSMENT_COLUMNS, row[2:]) for row in rows],
            },
            occurred_on=rows[0].assessed_on,
        )


def _send(session: Session, ids: list[uuid.UUID]) -> Iterator[Item]:
    for row in session.execute(_SEND, {"ids": ids}):
        yield Item(
            NAME,
            "send",
            f"send:{row[0]}",
            "Special educational needs record",
            {"pupil_id": str(row[1]), **values_of(_SEND_COLUMNS, row[2:])},
            occurred_on=row.start_date,
        )


# The collect queries, built once (see ``app.sources.items``).
_P, _O = Pupil.__table__, Organisation.__table__
_PUPILS = (
    select(
        _P.c.id,
        _O.c.name,
        *(_P.c[name] for name in _IDENTITY_COLUMNS),
        *(_P.c[name] for name in _CHARACTERISTIC_COLUMNS),
    )
    .join_from(_P, _O, _O.c.id == _P.c.organisation_id)
    .where(_P.c.id.in_(ids_param()), _P.c.organisation_id.in_(ids_param("orgs")))
    .order_by(_P.c.id)
)
_E = Enrolment.__table__
_ENROLMENT_COLUMNS = ("on_roll_date", "leaving_date", "year_group", "leaving_reason")
_ENROLMENTS = (
    select(_E.c.id, _E.c.pupil_id, _O.c.name, *(_E.c[name] for name in _ENROLMENT_COLUMNS))
    .join_from(_E, _O, _O.c.id == _E.c.organisation_id)
    .where(_E.c.pupil_id.in_(ids_param()), _E.c.organisation_id.in_(ids_param("orgs")))
    .order_by(_E.c.pupil_id, _E.c.on_roll_date)
)
_W = AttendanceWeek.__table__
_ATTENDANCE = (
    select(_W.c.pupil_id, _W.c.week_start, _W.c.slots)
    .where(_W.c.pupil_id.in_(ids_param()))
    .order_by(_W.c.pupil_id, _W.c.week_start)
)
_A = Assessment.__table__
_ASSESSMENTS = (
    select(_A.c.pupil_id, _A.c.academic_year, *(_A.c[name] for name in _ASSESSMENT_COLUMNS))
    .where(_A.c.pupil_id.in_(ids_param()))
    .order_by(_A.c.pupil_id, _A.c.assessed_on, _A.c.subject, _A.c.id)
)
_S = SendRecord.__table__
_SEND_COLUMNS = ("provision", "primary_need", "start_date", "end_date", "review_date", "notes")
_SEND = (
    select(_S.c.id, _S.c.pupil_id, *(_S.c[name] for name in _SEND_COLUMNS))
    .where(_S.c.pupil_id.in_(ids_param()))
    .order_by(_S.c.pupil_id, _S.c.start_date)
)


SOURCE = PupilSource()
