"""Pupils of one school: identity, enrolment, attendance, assessments, SEND, contacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.demo.assessments import assessment_rows
from app.demo.attendance import PROFILE_WEIGHTS, pupil_weeks
from app.demo.calendar import (
    academic_year_of,
    birth_range,
    first_day_of_year,
    group_label,
    last_day_of_year,
)
from app.demo.context import Context, at
from app.demo.data_people import NICKNAMES, SEND_NEEDS, SEND_NOTES
from app.demo.draw import Weighted, key_of
from app.demo.orgs import School
from app.demo.people import FAMILY_SIZES, Family, FamilyContact, StaffMember, make_family

PUPIL_COLUMNS = (
    "id", "created_at", "organisation_id", "upn", "former_upn", "legal_forename", "middle_names",
    "legal_surname", "preferred_forename", "preferred_surname", "surname_key", "forename_key",
    "date_of_birth", "gender", "address_line1", "address_line2", "town", "postcode", "ethnicity",
    "first_language", "fsm_eligible", "anonymised_at",
)
ENROLMENT_COLUMNS = (
    "id", "pupil_id", "organisation_id", "on_roll_date", "leaving_date", "year_group", "leaving_reason",
)
PUPIL_CONTACT_COLUMNS = (
    "id", "pupil_id", "contact_id", "relationship_to_pupil", "parental_responsibility", "contact_priority",
    "lives_with_pupil", "receives_correspondence",
)
SEND_COLUMNS = (
    "id", "pupil_id", "provision", "primary_need", "start_date", "end_date", "review_date", "notes",
)

LEAVER_SHARE = 0.08
_NEEDS = Weighted(SEND_NEEDS)
_MOVE_REASONS = Weighted((("Moved out of the area", 40.0), ("Transferred to another school", 30.0),
                          ("Elective home education", 8.0), ("Emigrated", 10.0),
                          ("Moved to an independent school", 7.0), ("Permanently excluded", 1.0),
                          ("Moved abroad for a parent's work", 4.0)))
_END_OF_PHASE = {6: "Transferred to secondary school", 11: "Completed Year 11", 13: "Completed sixth form",
                 -1: "Started Reception elsewhere"}


@dataclass(frozen=True, slots=True)
class PupilInfo:
    """What correspondence and the helpdesk need to mention a pupil."""

    id: str
    forename: str
    surname: str
    year_group: str
    contacts: tuple[FamilyContact, ...]
    left: bool

    @property
    def name(self) -> str:
        return f"{self.forename} {self.surname}"


def generate_pupils(ctx: Context, school: School, staff: list[StaffMember]) -> list[PupilInfo]:
    rng = ctx.rng
    teachers = [s for s in staff if s.teacher] or staff
    group_weights = Weighted((g, 0.5 if g >= 12 else 1.0) for g in school.groups)
    pupils: list[PupilInfo] = []
    remaining = school.pupil_count
    while remaining > 0:
        family = make_family(ctx, school)
        size = min(remaining, FAMILY_SIZES.pick(rng))
        for _ in range(size):
            pupils.append(_pupil(ctx, school, family, group_weights.pick(rng), rng.choice(teachers)))
        remaining -= size
    return pupils


def _pupil(ctx: Context, school: School, family: Family, offset: int, teacher: StaffMember) -> PupilInfo:
    rng = ctx.rng
    ids, sink = ctx.ids, ctx.sink
    nation = school.nation
    leaving = reason = None
    if rng.random() < LEAVER_SHARE:
        if offset == school.groups[-1] and rng.random() < 0.6:
            year = academic_year_of(school.data_until) - rng.randint(1, 2)
            leaving, reason = last_day_of_year(nation, year), _END_OF_PHASE.get(offset, "End of phase")
        else:
            earliest = ctx.as_of - timedelta(days=600)
            leaving = ctx.weekday_between(earliest, school.data_until - timedelta(days=1))
            reason = _MOVE_REASONS.pick(rng)
    reference = leaving or school.data_until
    year_now = academic_year_of(reference)
    born_first, born_last = birth_range(offset, year_now)
    born = ctx.day_between(born_first, born_last)
    entry = school.groups[0]
    joined_year = year_now - (offset - entry)
    on_roll = first_day_of_year(nation, joined_year) + timedelta(days=rng.randint(0, 2))
    if rng.random() < 0.12 or on_roll >= reference:
        joined_year = rng.randint(joined_year, year_now)
        on_roll = ctx.weekday_between(first_day_of_year(nation, joined_year), reference - timedelta(days=1))
    on_roll = min(on_roll, reference)
    joined_year = academic_year_of(on_roll)

    gender = "F" if rng.random() < 0.49 else ("M" if rng.random() < 0.996 else "U")
    forename = family.group.forename(rng, gender)
    middle = None
    if rng.random() < 0.45:
        middle = family.group.forename(rng, gender)
        if rng.random() < 0.1:
            middle = f"{middle} {family.group.forename(rng, gender)}"
    surname = family.surname
    preferred_forename = forename
    if forename in NICKNAMES and rng.random() < 0.5:
        preferred_forename = NICKNAMES[forename]
    elif rng.random() < 0.03:
        preferred_forename = ctx.names["british"].forename(rng, gender)
    preferred_surname = family.step_surname if family.step_surname and rng.random() < 0.4 else surname

    upn = school.upn(on_roll.year)
    former = school.upn(on_roll.year, temporary=True) if rng.random() < 0.05 else None
    pupil_id = ids()
    address = family.address
    row = (
        pupil_id, at(max(on_roll, school.contract_start)), school.id, upn, former, forename, middle, surname,
        preferred_forename, preferred_surname, key_of(surname), key_of(forename), born, gender,
        address.line1, address.line2, address.town, address.postcode, family.ethnicity, family.language,
        offset >= 0 and rng.random() < 0.24, None,
    )
    sink.add("pupils", row)
    label = group_label(offset)
    sink.add("enrolments", (ids(), pupil_id, school.id, on_roll, leaving, label, reason))
    ctx.maybe_check("pupil", lambda: {**dict(zip(PUPIL_COLUMNS, row, strict=True)), "on_roll_date": on_roll,
                                      "leaving_date": leaving, "year_group": label})
    for contact in family.contacts:
        sink.add("pupil_contacts", (ids(), pupil_id, contact.id, contact.relationship,
                                    contact.parental_responsibility, contact.priority,
                                    contact.lives_with_pupil, contact.receives_correspondence))

    profile = "nursery" if offset < 0 else PROFILE_WEIGHTS.pick(rng)
    last = min(leaving, school.data_until) if leaving else school.data_until
    weeks = pupil_weeks(ctx.pools.plan(school.calendar, profile), on_roll, last, rng,
                        holiday_week=offset >= 0 and rng.random() < 0.06)
    if weeks:
        sink.attendance(pupil_id, weeks)

    for assessment in assessment_rows(ctx, pupil_id, offset, year_now, joined_year, last,
                                      teacher.full_name, school.phase == "secondary"):
        sink.add("assessments", assessment)

    if offset >= -1 and rng.random() < 0.15:
        _send(ctx, pupil_id, preferred_forename, on_roll, last)
    return PupilInfo(pupil_id, preferred_forename, surname, label, family.contacts, leaving is not None)


def _send(ctx: Context, pupil_id: str, first_name: str, on_roll: date, last: date) -> None:
    rng = ctx.rng
    need = _NEEDS.pick(rng)
    plan = rng.random() < 0.2 or need in ("SLD", "PMLD", "MSI")
    start = ctx.day_between(on_roll, last)
    ended = None
    if not plan and rng.random() < 0.1 and start + timedelta(days=60) < last:
        ended = ctx.day_between(start + timedelta(days=60), last)
    review = start + timedelta(days=365 if plan else 91)
    while review < ctx.as_of - timedelta(days=30) and ended is None:
        review += timedelta(days=365 if plan else 91)
    notes = SEND_NOTES[need].format(first=first_name)
    ctx.sink.add("send_records", (ctx.ids(), pupil_id, "E" if plan else "K", need, start, ended,
                                  None if ended else review, notes))
