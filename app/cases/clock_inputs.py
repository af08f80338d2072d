"""From a stored case to the clock: the one place that reads a case's clock
inputs, and the one place that rewrites its sort cache (``due_on``,
``internal_target_on``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.cases import clock
from app.cases.lifecycle import ACTIVE
from app.cases.models import Case


def inputs_for(case: Case) -> clock.ClockInputs:
    organisation = case.organisation
    return clock.ClockInputs(
        received_on=case.received_on,
        nation=organisation.nation.value,
        identity_received_on=case.identity_received_on,
        authority_received_on=case.authority_received_on,
        fee_received_on=case.fee_received_on,
        fee_allowed=case.fee_allowed,
        pauses=tuple(clock.Pause(pause.asked_on, pause.answered_on) for pause in case.pauses),
        extended=case.extended_on is not None,
        internal_target_days=organisation.internal_target_days,
    )


def clock_for(case: Case) -> clock.ClockResult:
    """Always computed from the stored inputs; never read from the cache."""
    return clock.compute(inputs_for(case))


def refresh_clock(case: Case) -> clock.ClockResult:
    """Recompute and store the sort cache; call after every input change,
    in the same transaction."""
    result = clock_for(case)
    case.due_on = result.due
    case.internal_target_on = result.internal_target
    return result


@dataclass(frozen=True)
class ClockSummary:
    """What the console and the API show of a case's clock."""

    received_on: date
    start: date
    due: date | None
    original_due: date | None
    paused_days: int
    paused_now: bool
    extended_on: date | None
    extension_notice_sent_on: date | None
    internal_target: date | None
    working_days_left: int | None
    calendar_days_left: int | None
    rolled_over: tuple[tuple[date, str], ...]


def clock_summary(case: Case, today: date) -> ClockSummary:
    result = clock_for(case)
    # Once answered or ended, "days left" means nothing (and "overdue" would mislead).
    running = case.status in ACTIVE
    left = (
        clock.days_left(result.due, today, case.organisation.nation.value) if result.due and running else None
    )
    return ClockSummary(
        received_on=case.received_on,
        start=result.start,
        due=result.due,
        original_due=result.original_due,
        paused_days=result.paused_days,
        paused_now=result.paused_now,
        extended_on=case.extended_on,
        extension_notice_sent_on=case.extension_notice_sent_on,
        internal_target=result.internal_target,
        working_days_left=left.working if left else None,
        calendar_days_left=left.calendar if left else None,
        rolled_over=result.rolled_over,
    )
