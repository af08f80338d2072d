"""Lifting a restriction, in two steps, so the subject is told first (Art 18(3)).

1. ``schedule_lift``: the DPO gives the reason and the day the lift takes
   effect, at least a day ahead. The letter to the requester goes to the
   outbox in the same transaction and names that day; the restrictions stay
   active and record the day, when the requester was told, the reason and
   who decided.
2. ``cancel_lift``: the dispute goes on. The schedule is cleared and the
   requester is told the restriction stays.
3. ``lift_due``: the daily task lifts what is due: it releases the legal
   holds, records the lift in the DPO's name and tells the recipients
   (Art 19). It only ever lifts a row whose requester was told, and a re-run
   finds the lifted rows inactive, so nothing is lifted twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

from sqlalchemy import Select, select

from app.accounts.models import User
from app.audit.services import record
from app.cases import lifecycle
from app.cases.models import Case
from app.db import utcnow
from app.extensions import db
from app.mail import send_mail
from app.recipients import letters
from app.recipients.services import notify_recipients
from app.restriction.letters import requester_context
from app.restriction.models import Restriction
from app.restriction.services import RestrictionConflict, RestrictionError, active_for, clean_reason
from app.rights.models import LegalHold

# The day offered by default: two weeks gives the subject time to answer
# (or go to the ICO) before the data is processed again.
LIFT_NOTICE_DAYS = 14
# A lift at least this far ahead: the letter must reach them before it.
MIN_NOTICE_DAYS = 1
# Further off than a year is a typing mistake, not a plan.
MAX_NOTICE_DAYS = 366
LIFT_NOTICE_MAIL_CATEGORY = "case.restriction_lift_notice"
LIFT_CANCELLED_MAIL_CATEGORY = "case.restriction_lift_cancelled"


T = TypeVar("T")


def today() -> date:
    return utcnow().date()


def default_lift_on(on: date | None = None) -> date:
    return (on or today()) + timedelta(days=LIFT_NOTICE_DAYS)


def check_lift_on(value: object, on: date | None = None) -> date:
    """The day a lift takes effect: a real date, after today, within a year."""
    if not isinstance(value, date):
        raise RestrictionError({"lift_on": "Give the date the restriction is lifted"})
    on = on or today()
    earliest = on + timedelta(days=MIN_NOTICE_DAYS)
    latest = on + timedelta(days=MAX_NOTICE_DAYS)
    if value < earliest:
        # Art 18(3): the requester's letter must go before the lift, not with it.
        raise RestrictionError(
            {"lift_on": f"The date must be {earliest:%-d %B %Y} or later, so they are told first"}
        )
    if value > latest:
        raise RestrictionError({"lift_on": f"The date must be within a year: {latest:%-d %B %Y} or earlier"})
    return value


def lift_on_from_parts(day: str, month: str, year: str) -> date:
    """A GOV.UK day/month/year date input read as a date, or the message to show."""
    parts = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    missing = [name for name, value in parts.items() if not value]
    if len(missing) == 3:
        raise RestrictionError({"lift_on": "Give the date the restriction is lifted"})
    if missing:
        raise RestrictionError({"lift_on": f"The date must include a {' and a '.join(missing)}"})
    if not all(value.isascii() and value.isdigit() for value in parts.values()) or len(parts["year"]) != 4:
        raise RestrictionError({"lift_on": "Give a real date, for example 27 3 2027"})
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        raise RestrictionError({"lift_on": "Give a real date, for example 27 3 2027"}) from None


def scheduled_for(case: Case) -> list[Restriction]:
    return [r for r in active_for(case) if r.lift_on is not None]


def schedule_lift(
    case: Case, actor: User, reason: object, lift_on: object, *, on: date | None = None
) -> list[Restriction]:
    """Tell the requester now that the restriction is lifted on ``lift_on``,
    and schedule it. The caller commits: the letter is in the outbox in the
    same transaction, so nothing is scheduled unless the letter goes too."""
    errors: dict[str, str] = {}
    text = _checked(lambda: clean_reason(reason, "lifted_reason"), errors)
    day = _checked(lambda: check_lift_on(lift_on, on), errors)
    if errors or text is None or day is None:
        raise RestrictionError(errors)
    active = active_for(case)
    if not active:
        raise RestrictionConflict({"case": "Nothing is restricted on this case"})
    unscheduled = [r for r in active if r.lift_on is None]
    if not unscheduled:
        raise RestrictionConflict(
            {"case": f"The lift is already scheduled for {active[0].lift_on:%-d %B %Y}: cancel it first"}
        )
    now = utcnow()
    _tell_requester(case, "restriction_lifted", LIFT_NOTICE_MAIL_CATEGORY, lift_on=day, reason=text)
    for restriction in unscheduled:
        restriction.lift_on = day
        restriction.lift_notified_at = now
        restriction.lift_reason = text
        restriction.lift_scheduled_by_id = actor.id
    ids = [str(r.id) for r in unscheduled]
    lifecycle.add_event(
        case, "restriction_lift_scheduled", actor, {"records": len(unscheduled), "lift_on": day.isoformat()}
    )
    record(
        "restriction.lift_scheduled",
        actor_type="user",
        actor_id=actor.id,
        object_type="case",
        object_id=case.id,
        data={"restriction_ids": ids, "lift_on": day.isoformat(), "subject_told_at": now.date().isoformat()},
    )
    db.session.flush()
    return unscheduled


def cancel_lift(case: Case, actor: User) -> list[Restriction]:
    """The dispute goes on: clear the schedule and tell the requester the
    restriction stays. The caller commits."""
    scheduled = scheduled_for(case)
    if not scheduled:
        raise RestrictionConflict({"case": "No lift is scheduled on this case"})
    day = scheduled[0].lift_on
    for restriction in scheduled:
        restriction.lift_on = None
        restriction.lift_notified_at = None
        restriction.lift_reason = None
        restriction.lift_scheduled_by_id = None
    _tell_requester(case, "restriction_lift_cancelled", LIFT_CANCELLED_MAIL_CATEGORY, lift_on=day)
    ids = [str(r.id) for r in scheduled]
    lifecycle.add_event(case, "restriction_lift_cancelled", actor, {"records": len(scheduled)})
    record(
        "restriction.lift_cancelled",
        actor_type="user",
        actor_id=actor.id,
        object_type="case",
        object_id=case.id,
        data={"restriction_ids": ids, "lift_on": day.isoformat() if day else None},
    )
    db.session.flush()
    return scheduled


def due_restrictions(on: date) -> Select[tuple[Restriction]]:
    """The active restrictions whose lift day is ``on`` or before, and whose
    requester was told of it."""
    return (
        select(Restriction)
        .where(
            Restriction.lifted_at.is_(None),
            Restriction.lift_on.is_not(None),
            Restriction.lift_on <= on,
            # Never lift a restriction the subject was not told of first.
            Restriction.lift_notified_at.is_not(None),
        )
        .order_by(Restriction.case_id, Restriction.id)
    )


def lift_due(on: date | None = None) -> int:
    """Lift every restriction whose day has come and whose requester was
    told; returns how many rows were lifted. The caller commits."""
    # Two overlapping runs (a restart) each take different rows, never the same twice.
    due = db.session.scalars(due_restrictions(on or today()).with_for_update(skip_locked=True)).all()
    by_case: dict[uuid.UUID, list[Restriction]] = defaultdict(list)
    for restriction in due:
        by_case[restriction.case_id].append(restriction)
    for case_id, rows in by_case.items():
        case = db.session.get(Case, case_id)
        if case is not None:
            _lift(case, rows)
    return len(due)


def _lift(case: Case, rows: list[Restriction]) -> None:
    now = utcnow()
    holds = {r.hold_id for r in rows if r.hold_id is not None}
    for hold in db.session.scalars(select(LegalHold).where(LegalHold.id.in_(holds))) if holds else ():
        hold.released_at = now
    for restriction in rows:
        restriction.lifted_at = now
        restriction.lifted_reason = restriction.lift_reason
        # The DPO who decided it, not the task that carried it out.
        restriction.lifted_by_id = restriction.lift_scheduled_by_id
    told = min(r.lift_notified_at for r in rows if r.lift_notified_at is not None)
    lifecycle.add_event(case, "restriction_lifted", None, {"records": len(rows)})
    record(
        "restriction.lifted",
        object_type="case",
        object_id=case.id,
        data={"restriction_ids": [str(r.id) for r in rows], "subject_told_at": told.date().isoformat()},
    )
    db.session.flush()
    scheduler = db.session.get(User, rows[0].lift_scheduled_by_id) if rows[0].lift_scheduled_by_id else None
    notify_recipients(case, "restriction_lifted", scheduler)


def _checked(check: Callable[[], T], errors: dict[str, str]) -> T | None:
    """Run one check, gathering its field message, so every field is reported at once."""
    try:
        return check()
    except RestrictionError as exc:
        errors.update(exc.errors)
        return None


def _tell_requester(case: Case, letter_name: str, category: str, **values: object) -> None:
    letter = letters.render(letter_name, {**requester_context(case), **values})
    send_mail(
        case.requester_email, letter.subject, letter.text, letter.html, category=category, case_id=case.id
    )
