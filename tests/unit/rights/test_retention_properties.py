"""Property-based checks of the retention dates and the sweeper.

The pure checks compare ``due_date`` with an independent oracle (dateutil's
``relativedelta`` for calendar periods) and ``cutoff`` with ``due_date``.
The database check builds records with random anchors around a random
``as_of``, sweeps, and requires every record to be swept exactly when its
due date has come: never inside its period, never left after it. Each
example's rows are rolled back, so one application (and database) serves
every example.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.rights.models import PeriodUnit, SetupImport
from app.rights.periods import academic_year_start, cutoff, due_date
from app.rights.retention import sweep
from app.sources.contacts.models import Contact
from app.sources.correspondence.models import Message
from app.sources.employees.models import Employee
from app.sources.helpdesk.models import Ticket
from app.sources.pupils.models import Pupil
from tests.unit.rights import factory as make

DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
UNITS = st.sampled_from(list(PeriodUnit))
COUNTS = st.integers(min_value=1, max_value=36)


@settings(max_examples=300)
@given(anchor=DATES, as_of=DATES, count=COUNTS, unit=UNITS)
def test_cutoff_is_exactly_the_last_due_anchor(anchor, as_of, count, unit):
    assert (due_date(anchor, count, unit) <= as_of) is (anchor <= cutoff(as_of, count, unit))


@settings(max_examples=300)
@given(anchor=DATES, count=COUNTS, unit=UNITS)
def test_due_dates_match_the_calendar(anchor, count, unit):
    due = due_date(anchor, count, unit)
    if unit is PeriodUnit.MONTHS:
        assert due == anchor + relativedelta(months=count)
    elif unit is PeriodUnit.YEARS:
        assert due == anchor + relativedelta(years=count)
    else:
        # 31 August, at least `count` whole years after the anchor and
        # ending the count-th academic year after the anchor's own.
        assert (due.month, due.day) == (8, 31)
        assert academic_year_start(due) == academic_year_start(anchor) + count
        assert anchor + relativedelta(years=count) <= due < anchor + relativedelta(years=count + 1)


def _due(code: str, anchor: date) -> date:
    periods = {
        "correspondence": (3, PeriodUnit.YEARS), "contacts": (6, PeriodUnit.MONTHS),
        "pupils_contract": (2, PeriodUnit.YEARS), "leavers": (2, PeriodUnit.ACADEMIC_YEARS),
        "employees": (1, PeriodUnit.MONTHS), "setup": (1, PeriodUnit.YEARS),
    }  # fmt: skip
    return due_date(anchor, *periods[code])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    as_of=st.dates(min_value=date(2022, 1, 1), max_value=date(2032, 12, 31)),
    contract_days=st.integers(min_value=150, max_value=1200),
    leaving_days=st.integers(min_value=150, max_value=1200),
    sibling_days=st.one_of(st.none(), st.integers(min_value=0, max_value=1200)),
    also_left_days=st.one_of(st.none(), st.integers(min_value=0, max_value=1200)),
    employee_days=st.integers(min_value=0, max_value=70),
    setup_days=st.integers(min_value=355, max_value=375),
    setup_minute=st.integers(min_value=0, max_value=24 * 60 - 1),
)
def test_the_sweeper_takes_records_exactly_when_their_period_ends(
    app, as_of, contract_days, leaving_days, sibling_days, also_left_days, employee_days, setup_days,
    setup_minute,
):  # fmt: skip
    try:
        contract_end = as_of - timedelta(days=contract_days)
        ended, active = make.school(contract_end=contract_end), make.school()
        # At the ended school: a pupil on roll or one who also left.
        also_left = as_of - timedelta(days=also_left_days) if also_left_days is not None else None
        ended_pupil = make.pupil(ended, left=also_left)
        ended_parent = make.contact(ended, ended_pupil)
        message, ticket = make.message(ended, about=[ended_pupil]), make.ticket(ended)
        # At the active school: a leaver, and a sibling on roll or who left too.
        left = as_of - timedelta(days=leaving_days)
        leaver = make.pupil(active, left=left)
        sibling_left = as_of - timedelta(days=sibling_days) if sibling_days is not None else None
        sibling = make.pupil(active, left=sibling_left)
        parent = make.contact(active, leaver, sibling)
        teacher_left = as_of - timedelta(days=employee_days)
        teacher = make.employee(active, left=teacher_left)
        processed = datetime.combine(as_of - timedelta(days=setup_days), time(0), tzinfo=UTC) + timedelta(
            minutes=setup_minute
        )
        setup = make.setup_import(active, processed=processed)

        sweep(as_of)

        def anonymised(model, record) -> bool:
            return db.session.get(model, record.id, populate_existing=True).anonymised_at is not None

        def gone(model, record) -> bool:
            return db.session.get(model, record.id, populate_existing=True) is None

        def due(code: str, anchor: date | None) -> bool:
            taken = anchor is not None and _due(code, anchor) <= as_of
            event(f"{code}: {'taken' if taken else 'kept'}")  # --hypothesis-show-statistics
            return taken

        assert gone(Message, message) is due("correspondence", contract_end)
        assert gone(Ticket, ticket) is due("correspondence", contract_end)
        ended_parent_due = due("contacts", contract_end) or due("contacts", also_left)
        assert gone(Contact, ended_parent) is ended_parent_due
        ended_pupil_due = due("pupils_contract", contract_end) or due("leavers", also_left)
        assert anonymised(Pupil, ended_pupil) is ended_pupil_due
        assert anonymised(Pupil, leaver) is due("leavers", left)
        assert anonymised(Pupil, sibling) is due("leavers", sibling_left)
        assert gone(Contact, parent) is (due("contacts", left) and due("contacts", sibling_left))
        assert anonymised(Employee, teacher) is due("employees", teacher_left)
        assert gone(SetupImport, setup) is due("setup", processed.date())
    finally:
        db.session.rollback()
