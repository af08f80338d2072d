"""Art 18(3): a lift is scheduled and the requester told first; the daily
task lifts it on the day, once, and tells the recipients then."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import CaseEvent
from app.extensions import db
from app.jobs.schedule import PERIODIC
from app.letters.services import format_date
from app.mail.models import OutboxMessage
from app.recipients.models import RecipientNotice
from app.restriction import lifting, services
from app.restriction.lookup import is_restricted
from app.restriction.models import Restriction
from app.restriction.services import RestrictionConflict
from app.rights.models import LegalHold
from tests.unit.collect.factory import confirmed_amelia

REASON = "The marks were checked against the paper register."


@pytest.fixture
def restricted(world, caseworker):
    case = confirmed_amelia(world, caseworker)
    services.restrict(case, caseworker, "The parent disputes the attendance marks.")
    db.session.commit()
    return case


def _tomorrow() -> date:
    return lifting.today() + timedelta(days=1)


def _changes(case) -> list[str]:
    rows = db.session.scalars(select(RecipientNotice.change).where(RecipientNotice.case_id == case.id))
    return sorted(change.value for change in rows)


def _audits(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def _to_requester(smtp, case, since: int) -> list:
    return [m for m in smtp.messages[since:] if case.requester_email in m.rcpt_tos]


@pytest.mark.parametrize("days", [-1, 0, 367])
def test_schedule_lift_refuses_a_date_not_after_today_or_beyond_a_year(app, restricted, caseworker, days):
    with pytest.raises(services.RestrictionError) as refused:
        lifting.schedule_lift(restricted, caseworker, REASON, lifting.today() + timedelta(days=days))
    assert set(refused.value.errors) == {"lift_on"}
    assert not isinstance(refused.value, RestrictionConflict)


def test_schedule_lift_accepts_tomorrow_and_a_year_ahead(app):
    on = date(2027, 2, 10)
    latest = on + timedelta(days=lifting.MAX_NOTICE_DAYS)
    assert lifting.check_lift_on(date(2027, 2, 11), on) == date(2027, 2, 11)
    assert lifting.check_lift_on(latest, on) == latest
    with pytest.raises(services.RestrictionError):
        lifting.check_lift_on(latest + timedelta(days=1), on)
    assert lifting.default_lift_on(on) == date(2027, 2, 24)


def test_schedule_lift_reports_a_missing_reason_and_date_together(app, restricted, caseworker):
    with pytest.raises(services.RestrictionError) as refused:
        lifting.schedule_lift(restricted, caseworker, "  ", None)
    assert set(refused.value.errors) == {"lifted_reason", "lift_on"}


def test_schedule_lift_tells_the_requester_now_naming_the_date(app, restricted, caseworker, world, smtp):
    day = lifting.today() + timedelta(days=lifting.LIFT_NOTICE_DAYS)
    before = len(smtp.messages)
    scheduled = lifting.schedule_lift(restricted, caseworker, REASON, day)
    db.session.commit()

    [letter] = _to_requester(smtp, restricted, before)
    text = letter.message.get_body(("plain",)).get_content()
    assert f"will be lifted on {format_date(day)}" in text and REASON in text
    assert format_date(day) in letter.message["Subject"]
    # Told, not lifted: the record stays in storage only and held.
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}
    [row] = scheduled
    assert (row.lift_on, row.lift_reason, row.lift_scheduled_by_id) == (day, REASON, caseworker.id)
    assert row.lift_notified_at is not None and row.lifted_at is None
    assert db.session.get(LegalHold, row.hold_id).released_at is None
    assert _changes(restricted) == ["restriction"]


def test_schedule_lift_audits_ids_and_dates_only(app, restricted, caseworker):
    day = _tomorrow()
    [row] = lifting.schedule_lift(restricted, caseworker, REASON, day)
    db.session.commit()
    [event] = _audits("restriction.lift_scheduled")
    assert event.data["restriction_ids"] == [str(row.id)] and event.data["lift_on"] == day.isoformat()
    assert "paper register" not in str(event.data)
    kinds = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == restricted.id)).all()
    assert "restriction_lift_scheduled" in kinds


def test_schedule_lift_with_nothing_restricted_is_a_conflict(app, world, caseworker):
    case = confirmed_amelia(world, caseworker)
    with pytest.raises(RestrictionConflict) as refused:
        lifting.schedule_lift(case, caseworker, REASON, _tomorrow())
    assert set(refused.value.errors) == {"case"}


def test_schedule_lift_twice_is_a_conflict(app, restricted, caseworker):
    lifting.schedule_lift(restricted, caseworker, REASON, _tomorrow())
    with pytest.raises(RestrictionConflict):
        lifting.schedule_lift(restricted, caseworker, "Again.", _tomorrow() + timedelta(days=3))


def test_lift_due_lifts_nothing_before_the_date(app, restricted, caseworker, world):
    day = _tomorrow() + timedelta(days=5)
    lifting.schedule_lift(restricted, caseworker, REASON, day)
    db.session.commit()
    assert lifting.lift_due(on=day - timedelta(days=1)) == 0
    db.session.commit()
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}
    assert _changes(restricted) == ["restriction"] and _audits("restriction.lifted") == []


@pytest.mark.parametrize("late", [0, 4])
def test_lift_due_lifts_on_or_after_the_date_once(app, restricted, caseworker, world, late):
    day = _tomorrow()
    [row] = lifting.schedule_lift(restricted, caseworker, REASON, day)
    db.session.commit()

    assert lifting.lift_due(on=day + timedelta(days=late)) == 1
    db.session.commit()
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == set()
    assert row.lifted_at is not None and (row.lifted_reason, row.lifted_by_id) == (REASON, caseworker.id)
    assert db.session.get(LegalHold, row.hold_id).released_at == row.lifted_at
    # Art 19: the recipients are told at the real lift, not at the schedule.
    notices = _changes(restricted)
    assert "restriction_lifted" in notices
    [event] = _audits("restriction.lifted")
    assert event.actor_type == "system"
    assert event.data["subject_told_at"] == row.lift_notified_at.date().isoformat()

    # A re-run (a restart, the next day) lifts nothing twice.
    assert lifting.lift_due(on=day + timedelta(days=late + 1)) == 0
    db.session.commit()
    assert len(_audits("restriction.lifted")) == 1 and _changes(restricted) == notices


def test_lift_due_never_lifts_a_restriction_whose_requester_was_not_told(app, restricted, world):
    # A date set without the letter (as a hand edit would): the task leaves it alone.
    row = db.session.scalars(select(Restriction).where(Restriction.case_id == restricted.id)).one()
    row.lift_on = lifting.today() - timedelta(days=1)
    db.session.commit()
    assert lifting.lift_due() == 0
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}


def test_cancel_lift_keeps_the_restriction_and_tells_the_requester(app, restricted, caseworker, world, smtp):
    day = _tomorrow()
    [row] = lifting.schedule_lift(restricted, caseworker, REASON, day)
    db.session.commit()
    before = len(smtp.messages)
    lifting.cancel_lift(restricted, caseworker)
    db.session.commit()

    [letter] = _to_requester(smtp, restricted, before)
    assert "stays" in letter.message["Subject"]
    assert format_date(day) in letter.message.get_body(("plain",)).get_content()
    assert (row.lift_on, row.lift_notified_at, row.lift_reason, row.lift_scheduled_by_id) == (None,) * 4
    assert lifting.lift_due(on=day + timedelta(days=30)) == 0
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}
    [event] = _audits("restriction.lift_cancelled")
    assert event.data == {"restriction_ids": [str(row.id)], "lift_on": day.isoformat()}


def test_cancel_lift_with_nothing_scheduled_is_a_conflict(app, restricted, caseworker):
    with pytest.raises(RestrictionConflict):
        lifting.cancel_lift(restricted, caseworker)


def test_a_cancelled_lift_can_be_scheduled_again(app, restricted, caseworker):
    lifting.schedule_lift(restricted, caseworker, REASON, _tomorrow())
    lifting.cancel_lift(restricted, caseworker)
    [row] = lifting.schedule_lift(restricted, caseworker, "Settled now.", _tomorrow() + timedelta(days=2))
    assert row.lift_reason == "Settled now."
    categories = db.session.scalars(
        select(OutboxMessage.category).where(OutboxMessage.category.like("case.restriction%"))
    ).all()
    assert sorted(categories) == sorted(
        [
            lifting.LIFT_NOTICE_MAIL_CATEGORY,
            lifting.LIFT_CANCELLED_MAIL_CATEGORY,
            lifting.LIFT_NOTICE_MAIL_CATEGORY,
        ]
    )


def test_the_daily_task_lifts_what_is_due(app, restricted, caseworker, world):
    lifting.schedule_lift(restricted, caseworker, REASON, _tomorrow())
    db.session.commit()
    task = PERIODIC["restriction.lift_due"]
    assert task.every_seconds == 86400
    assert task.run() == "0 restriction(s) lifted"  # due tomorrow, not today
    # The day comes (the row's date moved back rather than the clock forward).
    row = db.session.scalars(select(Restriction).where(Restriction.case_id == restricted.id)).one()
    row.lift_on = lifting.today()
    db.session.commit()
    assert task.run() == "1 restriction(s) lifted"
    db.session.commit()
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == set()


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("", "", ""), "Give the date"),
        (("3", "", "2027"), "include a month"),
        (("", "", "2027"), "include a day and a month"),
        (("31", "2", "2027"), "real date"),
        (("1", "2", "27"), "real date"),
        (("\uff11", "2", "2027"), "real date"),  # a fullwidth digit
    ],
)
def test_lift_on_from_parts_refuses_an_unreal_date(app, parts, message):
    with pytest.raises(services.RestrictionError) as refused:
        lifting.lift_on_from_parts(*parts)
    assert message in refused.value.errors["lift_on"]


def test_lift_on_from_parts_reads_a_date(app):
    assert lifting.lift_on_from_parts(" 7", "12 ", "2026") == date(2026, 12, 7)


def test_lift_due_command_lists_then_lifts_what_is_due(app, restricted, caseworker, world):
    from app.restriction.cli import restriction_cli

    [row] = lifting.schedule_lift(restricted, caseworker, REASON, _tomorrow())
    row.lift_on = lifting.today()  # the day has come
    db.session.commit()
    runner = app.test_cli_runner()
    listed = runner.invoke(restriction_cli, ["lift-due", "--dry-run"])
    assert listed.exit_code == 0 and f"would lift restriction {row.id}" in listed.output
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == {world.amelia.id}
    done = runner.invoke(restriction_cli, ["lift-due"])
    assert done.exit_code == 0 and "1 restriction(s) lifted" in done.output
    again = runner.invoke(restriction_cli, ["lift-due"])
    assert "0 restriction(s) lifted" in again.output
    db.session.expire_all()
    assert is_restricted(db.session, "pupil", [world.amelia.id]) == set()
