"""Lifting a restriction the way it happens: scheduled (the requester told),
then carried out by the daily task on the day."""

from __future__ import annotations

from datetime import date, timedelta

from app.accounts.models import User
from app.cases.models import Case
from app.restriction import lifting


def schedule_and_lift(case: Case, actor: User, reason: str, *, carry_out: bool = True) -> date:
    """Schedule the lift for tomorrow and, with ``carry_out``, run the daily
    task as it will run that day. Returns the scheduled day."""
    day = lifting.today() + timedelta(days=1)
    lifting.schedule_lift(case, actor, reason, day)
    if carry_out:
        lifting.lift_due(on=day)
    return day
