"""The generator's building blocks: UPNs, ids, calendars, attendance patterns."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from stdnum.gb import upn as upn_format

from app.demo.attendance import WeekPools, build_pools, pupil_weeks
from app.demo.calendar import CLOSED, academic_year, school_calendar
from app.demo.data_places import ENGLISH_AREAS
from app.demo.draw import IdMaker, Locality
from app.demo.orgs import School
from app.sources.pupils.models import ATTENDANCE_CODES
from app.sources.validation import check_postcode


def _school(la_code: str = "801", estab: str = "2001") -> School:
    calendar = school_calendar("england", 0, date(2025, 6, 16), date(2026, 6, 15))
    return School(
        id="x", name="Test", kind="school", phase="primary", groups=(0, 1), la_code=la_code,
        establishment_number=estab, nation="england", contract_start=date(2020, 1, 1), contract_end=None,
        locality=Locality(("BS1",), "Bristol", "0117 496 0"), domain="t.example", calendar=calendar,
        data_until=date(2026, 6, 15),
    )


def test_upn_check_letter_matches_stdnum_for_every_area():
    for area in ENGLISH_AREAS:
        school = _school(area.la_code)
        for _ in range(30):
            upn = school.upn(2024)
            assert upn_format.calc_check_digit(upn[1:]) == upn[0]
            assert upn_format.is_valid(upn)


def test_upn_temporary_numbers_valid_and_distinct_from_permanent():
    school = _school()
    permanent = {school.upn(2025) for _ in range(200)}
    temporary = {school.upn(2025, temporary=True) for _ in range(200)}
    assert all(upn_format.is_valid(u) for u in temporary)
    assert all(u[-1].isalpha() for u in temporary)
    assert len(permanent | temporary) == 400


def test_ids_ascend_and_look_like_uuid7():
    make = IdMaker(random.Random(1), 1_780_000_000_000)
    ids = [make() for _ in range(1000)]
    assert ids == sorted(ids)
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert IdMaker(random.Random(1), 1_780_000_000_000)() == ids[0]


def test_locality_postcodes_pass_validation():
    rng = random.Random(3)
    locality = Locality(("B14", "LS6", "E1", "SW1A"), "Town", "0121 496 0")
    for _ in range(200):
        assert check_postcode(locality.address(rng).postcode)


def test_calendar_england_has_about_190_days_and_inset_closures():
    year = academic_year("england", 2025)
    cal = school_calendar("england", 1, date(2025, 9, 1), date(2026, 8, 31))
    in_year = [d for d in cal.open_days if year.first_day() <= d <= year.last_day()]
    assert 180 <= len(in_year) <= 195
    assert all(d.weekday() < 5 for d in cal.open_days)
    assert any(w.fixed and CLOSED in w.fixed for w in cal.weeks)
    # The Christmas holiday has no register week.
    assert date(2025, 12, 29) not in {w.start for w in cal.weeks}


def test_calendar_scotland_starts_in_august_and_ends_in_june():
    year = academic_year("scotland", 2025)
    assert year.first_day().month == 8
    assert year.last_day().month == 6


def test_pupil_weeks_leave_sessions_outside_enrolment_empty():
    rng = random.Random(5)
    pools = WeekPools(rng)
    plan = pools.plan(_school().calendar, "typical")
    first, last = date(2025, 11, 12), date(2026, 2, 4)
    weeks = pupil_weeks(plan, first, last, rng, holiday_week=True)
    assert weeks
    for iso, slots in weeks:
        start = date.fromisoformat(iso)
        for index in range(10):
            code = slots[index * 2:index * 2 + 2].strip()
            day = start + timedelta(days=index // 2)
            if code:
                assert code in ATTENDANCE_CODES
                assert first <= day <= last


def test_pools_hold_only_dfe_codes():
    pools = build_pools(random.Random(9))
    for pool in pools.values():
        for slots in pool:
            assert len(slots) == 20
            assert all(slots[i:i + 2].strip() in ATTENDANCE_CODES for i in range(0, 20, 2))


def test_copy_text_escapes_and_formats_values(app):
    from datetime import UTC, datetime

    from app.demo.services import COLUMNS
    from app.demo.writer import RowCollector, copy_text, table_map
    from app.extensions import db

    collector = RowCollector()
    sent = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
    collector.add("messages", ("id-1", "org-1", sent, "email", "Mrs O'Neill", None, "Tab\there",
                               "Line one\nC:\\path"))
    collector.attendance("pupil-1", [("2026-03-02", "/ \\ / \\ I I # #     ")])
    text = copy_text(collector, table_map(db.metadata), COLUMNS)
    fields = text["messages"].decode().rstrip("\n").split("\t")
    assert fields == ["id-1", "org-1", "2026-03-04T09:30:00+00:00", "email", "Mrs O'Neill", "\\N",
                      "Tab\\there", "Line one\\nC:\\\\path"]
    assert text["attendance_weeks"].decode() == "pupil-1\t2026-03-02\t/ \\\\ / \\\\ I I # #     \n"
