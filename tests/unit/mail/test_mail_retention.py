"""Mail past retention: delivered messages go 90 days after they were sent,
outbox-only ones 90 days after they were written (the day before, the day
of, the day after), failed ones about no case (staff mail) 90 days after
their last attempt; waiting ones, and failed ones about a case, stay; a
notice that pointed at a deleted message keeps its own record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import new_uuid
from app.jobs.schedule import PERIODIC
from app.mail import OutboxMessage, OutboxStatus, send_mail
from app.mail.retention import purge_old_mail
from app.recipients.models import Change, NoticeChannel, NoticeStatus, RecipientKind, RecipientNotice
from tests.unit.cases.factory import new_case
from tests.unit.sources.factories import school

SENT_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _message(
    db_session, status: OutboxStatus, *, at: datetime = SENT_AT, case_id: uuid.UUID | None = None
) -> uuid.UUID:
    """A message in ``status`` as of ``at`` (sent, or last tried, then);
    returns its id (the row may be deleted later)."""
    message = send_mail(
        "parent@example.org", "Your request", "Dear Jo, ...", category="case.acknowledgement", case_id=case_id
    )
    message.status, message.created_at = status, at - timedelta(minutes=1)
    message.sent_at = at if status is OutboxStatus.SENT else None
    message.last_attempt_at = at if status is OutboxStatus.FAILED else None
    message_id = message.id
    db_session.commit()
    return message_id


def _purges(db_session) -> list[AuditEvent]:
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.purged")))


def _ids(db_session) -> set:
    return set(db_session.scalars(select(OutboxMessage.id)))


@pytest.mark.parametrize(
    ("now", "gone"),
    [
        (SENT_AT + timedelta(days=90), False),
        (SENT_AT + timedelta(days=90, seconds=1), True),
        (SENT_AT + timedelta(days=91), True),
    ],
    ids=["90 days to the second", "just after", "the day after"],
)
def test_a_delivered_message_goes_ninety_days_after_it_was_sent(outbox_app, db_session, now, gone):
    message = _message(db_session, OutboxStatus.SENT)
    dry = purge_old_mail(now, dry_run=True)
    assert (dry.sent, dry.unsent_outbox) == ((1, 0) if gone else (0, 0))
    assert message in _ids(db_session)
    report = purge_old_mail(now)
    db_session.commit()
    assert report.sent == (1 if gone else 0)
    assert (message in _ids(db_session)) is not gone


def test_waiting_and_failed_case_messages_stay_and_outbox_only_ones_go(outbox_app, db_session):
    case = new_case(school(db_session, "Rowan Primary"))
    kept_before = _ids(db_session)  # the case's own acknowledgement and notice
    long_ago = SENT_AT - timedelta(days=400)
    waiting = _message(db_session, OutboxStatus.PENDING, at=long_ago)
    failed = _message(db_session, OutboxStatus.FAILED, at=long_ago, case_id=case.id)
    unsent = _message(db_session, OutboxStatus.OUTBOX, at=long_ago)
    recent = _message(db_session, OutboxStatus.SENT)
    report = purge_old_mail(SENT_AT + timedelta(days=1))
    db_session.commit()
    assert (report.sent, report.unsent_outbox, report.failed_staff) == (0, 1, 0)
    assert _ids(db_session) - kept_before == {waiting, failed, recent} and unsent not in _ids(db_session)
    assert "0 delivered message(s), 1 outbox-only message(s) and 0 undelivered" in str(report)


@pytest.mark.parametrize(
    ("tried", "gone"),
    [(SENT_AT - timedelta(days=90), False), (SENT_AT - timedelta(days=91), True)],
    ids=["last tried 90 days ago", "91 days ago"],
)
def test_a_failed_message_about_no_case_goes_ninety_days_after_its_last_attempt(
    outbox_app, db_session, tried, gone
):
    first_written = tried - timedelta(days=30)  # tried again since: counted from the last attempt
    message = _message(db_session, OutboxStatus.FAILED, at=tried)
    db_session.get(OutboxMessage, message).created_at = first_written
    db_session.commit()
    report = purge_old_mail(SENT_AT)
    db_session.commit()
    assert (report.sent, report.unsent_outbox, report.failed_staff) == (0, 0, 1 if gone else 0)
    assert (message in _ids(db_session)) is not gone


def test_a_notice_keeps_its_record_when_its_message_goes(outbox_app, db_session):
    organisation = school(db_session, "Rowan Primary")
    case = new_case(organisation)
    message = _message(db_session, OutboxStatus.SENT)
    notice = RecipientNotice(
        id=new_uuid(), case_id=case.id, change=Change.ERASURE, recipient_kind=RecipientKind.CONTROLLER,
        recipient_name="Rowan Primary", channel=NoticeChannel.EMAIL, email="office@rowan.example",
        status=NoticeStatus.SENT, sent_at=SENT_AT, outbox_message_id=message,
    )  # fmt: skip
    db_session.add(notice)
    db_session.commit()
    purge_old_mail(SENT_AT + timedelta(days=100))
    db_session.commit()
    db_session.expire_all()
    kept = db_session.get(RecipientNotice, notice.id)
    assert kept.outbox_message_id is None and (kept.status, kept.sent_at) == (NoticeStatus.SENT, SENT_AT)


def test_the_period_follows_the_setting_and_the_daily_task_runs_it(outbox_app, db_session):
    message = _message(db_session, OutboxStatus.SENT, at=datetime.now(UTC) - timedelta(days=40))
    assert PERIODIC["mail.purge"].run().startswith("0 delivered message(s)")
    outbox_app.config["RIGHTSDESK_SENT_MAIL_RETENTION_DAYS"] = 30
    assert PERIODIC["mail.purge"].run().startswith("1 delivered message(s)")
    db_session.commit()
    assert message not in _ids(db_session)


def test_the_command_counts_then_deletes(outbox_app, db_session):
    message = _message(db_session, OutboxStatus.SENT)
    runner = outbox_app.test_cli_runner()
    dry = runner.invoke(args=["mail", "purge", "--dry-run", "--as-of", "2026-06-01"])
    assert dry.exit_code == 0
    assert "1 delivered message(s), 0 outbox-only message(s) and 0 undelivered" in dry.output
    assert "would be deleted" in dry.output and message in _ids(db_session)
    assert _purges(db_session) == []  # a dry run changes nothing, the audit chain included
    done = runner.invoke(args=["mail", "purge", "--as-of", "2026-06-01"])
    assert done.exit_code == 0 and "deleted" in done.output
    db_session.expire_all()
    assert message not in _ids(db_session)
    [event] = _purges(db_session)
    assert (event.data["sent"], event.data["outbox"], event.data["failed_staff"]) == (1, 0, 0)
    assert event.data["cutoff"].startswith("2026-03-03T12:00")
    bad = runner.invoke(args=["mail", "purge", "--as-of", "June"])
    assert bad.exit_code == 2
