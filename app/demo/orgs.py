"""Organisations: an academy trust with member schools, standalone schools and nurseries."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from app.demo.calendar import INSET_VARIANTS, SchoolCalendar, school_calendar
from app.demo.data_places import (
    ENGLISH_AREAS,
    NATION_AREAS,
    NURSERY_WORDS,
    SCHOOL_DEDICATIONS,
    SCHOOL_FEATURES,
    TRUST_WORDS,
    WELSH_SCHOOL_NAMES,
)
from app.demo.draw import IdMaker, Locality, NameGroup, key_of

ORGANISATION_COLUMNS = (
    "id", "created_at", "name", "kind", "urn", "la_code", "establishment_number", "nation", "trust_id",
    "contract_start", "contract_end", "dp_contact_name", "dp_contact_email", "dp_contact_phone",
    "internal_target_days", "public_authority", "updated_at",
)

PHASE_GROUPS = {
    "nursery": (-2, -1),
    "primary": (0, 1, 2, 3, 4, 5, 6),
    "primary_with_nursery": (-1, 0, 1, 2, 3, 4, 5, 6),
    "secondary": (7, 8, 9, 10, 11),
    "secondary_with_sixth_form": (7, 8, 9, 10, 11, 12, 13),
}
_UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ0123456789"


@dataclass
class School:
    """A pupil-holding organisation and what the generator needs to know about it."""

    id: str
    name: str
    kind: str  # school or nursery
    phase: str  # primary or secondary or nursery
    groups: tuple[int, ...]
    la_code: str
    establishment_number: str
    nation: str
    contract_start: date
    contract_end: date | None
    locality: Locality
    domain: str
    calendar: SchoolCalendar
    data_until: date
    pupil_count: int = 0
    upn_serials: dict[tuple[str, bool], int] = field(default_factory=dict)

    def upn(self, year: int, temporary: bool = False) -> str:
        """The next UPN this school issues in ``year``: LA number, establishment
        number, two-digit year and a serial, behind a check letter. Temporary
        UPNs end in a letter instead of the last serial digit."""
        yy = f"{year % 100:02d}"
        serial = self.upn_serials.get((yy, temporary), 0)
        self.upn_serials[(yy, temporary)] = serial + 1
        if temporary:
            if serial >= 100 * 23:
                raise ValueError("upn: temporary serials exhausted for this school and year")
            tail = f"{serial // 23:02d}{_UPN_ALPHABET[serial % 23]}"
        else:
            if serial > 999:
                raise ValueError("upn: more than 1,000 pupils admitted in one year to one school")
            tail = f"{serial:03d}"
        body = f"{self.la_code}{self.establishment_number}{yy}{tail}"
        check = sum(i * _UPN_ALPHABET.index(ch) for i, ch in enumerate(body, 2)) % 23
        return _UPN_ALPHABET[check] + body


@dataclass
class OrgPlan:
    rows: list[tuple]
    schools: list[School]


def plan_organisations(
    rng: random.Random, ids: IdMaker, names: NameGroup, *, schools: int, pupils: int, as_of: date
) -> OrgPlan:
    """Lay out the organisations and share ``pupils`` between the schools."""
    nurseries = max(1, schools // 20)
    in_trusts = min(schools, max(2, round(schools * 0.4)))
    trust_sizes = _split(rng, in_trusts)
    window_start = as_of - timedelta(days=364)
    taken_names: set[str] = set()
    estab_counters: dict[tuple[str, str], int] = {}
    rows: list[tuple] = []
    planned: list[School] = []

    def new_school(
        index: int, kind: str, nation: str, area_index: int | None, trust: tuple | None, ended: bool = False
    ) -> None:
        phase = "nursery" if kind == "nursery" else ("secondary" if index % 5 == 2 else "primary")
        area = ENGLISH_AREAS[area_index if area_index is not None else rng.randrange(len(ENGLISH_AREAS))]
        if nation == "england":
            town = rng.choice(area.towns)
            areas, landline = area.postcode_areas, area.landline
        else:
            code, town, landline = rng.choice(NATION_AREAS[nation])
            areas = (code,)
        top = 20 if len(areas[0]) == 1 else 30
        districts = tuple(f"{rng.choice(areas)}{rng.randint(1, top)}" for _ in range(3))
        base = {"nursery": 1000, "primary": 2000, "secondary": 4000}[phase]
        count = estab_counters.get((area.la_code, phase), rng.randrange(0, 400))
        estab_counters[(area.la_code, phase)] = count + 1
        estab = str(base + count)
        name = _unique(taken_names, _school_name(rng, phase, nation, trust is not None, town), town)
        groups = _groups(rng, phase)
        end = None
        if ended:
            # The school stopped using the service; its records stay until retention runs.
            end = as_of - timedelta(days=rng.randint(20, 260))
        elif rng.random() < 0.25:
            end = as_of + timedelta(days=rng.randint(90, 900))
        start = trust[9] if trust else _contract_start(rng, (end or as_of) - timedelta(days=400))
        data_until = min(as_of, end) if end else as_of
        variant = rng.randrange(INSET_VARIANTS)
        school_id = ids()
        slug = "-".join(key_of(word) for word in name.split()[:2] if key_of(word))
        domain = f"{slug}-{estab}.sch.example"
        dpo = trust[11:14] if trust else _dp_contact(rng, names, domain, landline)
        rows.append((
            school_id, _at(start), name, kind, str(100000 + len(rows) * 7 + rng.randrange(7)),
            area.la_code, estab, nation, trust[0] if trust else None, start, end, *dpo,
            # The demo's nurseries are private day nurseries; its schools state ones.
            rng.choice((30, 30, 20, None)), kind != "nursery", None,
        ))
        planned.append(School(
            id=school_id, name=name, kind=kind, phase=phase, groups=groups, la_code=area.la_code,
            establishment_number=estab, nation=nation, contract_start=start, contract_end=end,
            locality=Locality(districts, town, landline), domain=domain,
            calendar=school_calendar(nation, variant, window_start, data_until), data_until=data_until,
        ))

    index = 0
    for size in trust_sizes:
        area_index = rng.randrange(len(ENGLISH_AREAS))
        trust_name = _unique(taken_names, f"{rng.choice(SCHOOL_FEATURES)} {rng.choice(TRUST_WORDS)}", "")
        start = _contract_start(rng, as_of - timedelta(days=60))
        trust_domain = f"{key_of(trust_name)[:24]}.org.example"
        trust = (ids(), _at(start), trust_name, "trust", None, None, None, "england", None, start, None,
                 *_dp_contact(rng, names, trust_domain, ENGLISH_AREAS[area_index].landline), 30, True, None)
        rows.append(trust)
        for _ in range(size):
            new_school(index, "school", "england", area_index, trust)
            index += 1
    for standalone in range(schools - in_trusts):
        nation = {1: "wales", 3: "northern-ireland", 4: "scotland"}.get(standalone % 10, "england")
        new_school(index, "school", nation, None, None, ended=standalone % 7 == 1)
        index += 1
    for nursery in range(nurseries):
        nation = "scotland" if nursery == 0 else ("wales" if nursery % 6 == 3 else "england")
        new_school(index, "nursery", nation, None, None)
        index += 1
    _share_pupils(rng, planned, pupils)
    return OrgPlan(rows, planned)


def _split(rng: random.Random, total: int) -> list[int]:
    sizes = []
    while total > 0:
        size = min(total, rng.randint(2, 8))
        if 0 < total - size < 2:
            size = total
        sizes.append(size)
        total -= size
    return sizes


def _share_pupils(rng: random.Random, schools: list[School], pupils: int) -> None:
    base = {"nursery": 0.2, "primary": 1.0, "secondary": 3.5}
    weights = [base[s.phase] * rng.uniform(0.7, 1.3) for s in schools]
    total = sum(weights)
    exact = [pupils * w / total for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(schools)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: pupils - sum(counts)]:
        counts[i] += 1
    for school, count in zip(schools, counts, strict=True):
        school.pupil_count = count


def _groups(rng: random.Random, phase: str) -> tuple[int, ...]:
    if phase == "primary":
        return PHASE_GROUPS["primary_with_nursery" if rng.random() < 0.4 else "primary"]
    if phase == "secondary":
        return PHASE_GROUPS["secondary_with_sixth_form" if rng.random() < 0.6 else "secondary"]
    return PHASE_GROUPS["nursery"]


def _school_name(rng: random.Random, phase: str, nation: str, academy: bool, town: str) -> str:
    feature = rng.choice(SCHOOL_FEATURES)
    if phase == "nursery":
        return f"{rng.choice(NURSERY_WORDS)} {rng.choice(('Nursery School', 'Day Nursery'))}"
    if nation == "wales" and rng.random() < 0.5:
        return rng.choice(WELSH_SCHOOL_NAMES)
    if phase == "primary":
        if rng.random() < 0.25:
            return f"{rng.choice(SCHOOL_DEDICATIONS)} Primary School"
        return f"{feature} Primary {'Academy' if academy else 'School'}"
    if nation == "scotland":
        return f"{feature} {rng.choice(('Academy', 'High School'))}"
    if nation == "northern-ireland":
        return f"{rng.choice((feature, rng.choice(SCHOOL_DEDICATIONS)))} College"
    return f"{feature} {rng.choice(('High School', 'Academy', 'School', 'Community College'))}"


def _unique(taken: set[str], name: str, town: str) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}, {town}" if n == 2 and town else f"{name} ({n})"
    taken.add(candidate)
    return candidate


def _contract_start(rng: random.Random, latest: date) -> date:
    return date(2015, 1, 1) + timedelta(days=rng.randint(0, max(1, (latest - date(2015, 1, 1)).days)))


def _dp_contact(rng: random.Random, names: NameGroup, domain: str, landline: str) -> tuple[str, str, str]:
    gender = rng.choice("FM")
    forename, surname = names.forename(rng, gender), names.surname(rng)
    email = f"dpo@{domain}" if rng.random() < 0.5 else f"{key_of(forename)}.{key_of(surname)}@{domain}"
    return f"{forename} {surname}", email, f"{landline}{rng.randint(0, 999):03d}"


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)
