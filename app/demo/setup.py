"""Setup imports: the files of pupil data a school sent for processing.

At each of the last two September intakes while it used the service, a
school sent the file of its new entry year group (last year's intake is this
year's second year group). Files are processed within a few days, though now
and then the latest is still waiting. The retention sweeper deletes them a
year after processing.
"""

from __future__ import annotations

from datetime import date, timedelta

from app.demo.calendar import group_label
from app.demo.context import Context
from app.demo.orgs import School
from app.demo.pupils import PupilInfo

SETUP_COLUMNS = ("id", "organisation_id", "received_at", "processed_at", "file_name", "row_count", "payload")
_INTAKES = 2
_HEADER = "legal_forename,legal_surname,year_group"


def generate_setup_imports(ctx: Context, school: School, pupils: list[PupilInfo]) -> None:
    rng = ctx.rng
    entry = group_label(school.groups[0])
    for back in range(_INTAKES - 1, -1, -1):
        september = date(school.data_until.year - back - (school.data_until.month < 9), 9, 1)
        if september < school.contract_start or september > school.data_until or back >= len(school.groups):
            continue
        now_in = group_label(school.groups[back])
        rows = [f"{p.forename},{p.surname},{entry}" for p in pupils if p.year_group == now_in]
        if not rows:
            continue
        received = ctx.moment(ctx.weekday_between(september, min(september + timedelta(days=9),
                                                                 school.data_until)))  # fmt: skip
        processed = received + timedelta(days=rng.randint(0, 4), hours=rng.randint(1, 6))
        if (back == 0 and rng.random() < 0.1) or processed.date() > school.data_until:
            processed = None  # still waiting to be processed
        ctx.sink.add("setup_imports", (
            ctx.ids(), school.id, received, processed, f"intake-{september.year}-{entry.lower()}.csv",
            len(rows), "\n".join([_HEADER, *rows]) + "\n",
        ))  # fmt: skip
