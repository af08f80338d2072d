from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.recipients import services
from app.recipients.models import NoticeChannel, NoticeStatus, RecipientKind, RecipientNotice
from tests.unit.recipients.factory import case_holding, caseworker, trust_school

PUPIL_DATA = (("pupils", "identity"), ("pupils", "enrolment"))


def _case(pairs=PUPIL_DATA):
    _trust, school = trust_school()
    worker = caseworker()
    return case_holding(school, worker, *pairs), worker


def test_recipients_are_the_school_its_trust_and_the_registers_others(app):
    case, _ = _case()
    recipients = services.recipients_for(case)
    assert [(r.kind, r.name) for r in recipients] == [
        (RecipientKind.CONTROLLER, "Rowan Primary"),
        (RecipientKind.TRUST, "Rowan Learning Trust"),
        (RecipientKind.REGISTER, "Others only where the law requires it"),
    ]
    # The register names the subject among its recipients: nobody to notify.
    assert not any("person the data is about" in r.name for r in recipients)
    assert recipients[0].email == "dpo@rowan-primary.example.org"
    assert len(recipients[2].categories) == 2


def test_register_recipients_come_only_from_categories_the_case_holds(app):
    case, _ = _case(pairs=())
    assert [r.kind for r in services.recipients_for(case)] == [RecipientKind.CONTROLLER, RecipientKind.TRUST]


def test_notify_recipients_emails_contacts_and_leaves_others_to_the_school(app, smtp):
    case, worker = _case()
    before = len(smtp.messages)
    notices = services.notify_recipients(case, "erasure", worker)
    db.session.commit()
    by_kind = {n.recipient_kind: n for n in notices}
    assert by_kind[RecipientKind.CONTROLLER].channel is NoticeChannel.EMAIL
    assert by_kind[RecipientKind.CONTROLLER].status is NoticeStatus.SENT
    assert by_kind[RecipientKind.REGISTER].channel is NoticeChannel.SCHOOL
    assert by_kind[RecipientKind.REGISTER].status is NoticeStatus.PENDING
    assert by_kind[RecipientKind.REGISTER].sent_at is None
    received = smtp.messages[before:]
    assert sorted(address for m in received for address in m.rcpt_tos) == [
        "dpo@rowan-learning-trust.example.org",
        "dpo@rowan-primary.example.org",
    ]
    message = received[0].message
    assert case.reference in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "erasure" in text
    assert case.subject_name not in text  # the notice never names the person


def test_notify_recipients_twice_tells_each_recipient_once(app, smtp):
    case, worker = _case()
    first = services.notify_recipients(case, "restriction", worker)
    db.session.commit()
    sent = len(smtp.messages)
    again = services.notify_recipients(case, "restriction", worker)
    db.session.commit()
    assert [n.id for n in again] == [n.id for n in first]
    assert len(smtp.messages) == sent
    count = db.session.scalar(select(func.count()).select_from(RecipientNotice))
    assert count == 3


def test_notify_recipients_of_another_change_is_a_new_notice(app):
    case, worker = _case()
    services.notify_recipients(case, "restriction", worker)
    services.notify_recipients(case, "restriction_lifted", worker)
    db.session.commit()
    assert len(services.notices_for(case)) == 6


def test_notify_recipients_refuses_an_unknown_change(app):
    case, worker = _case()
    with pytest.raises(ValueError):
        services.notify_recipients(case, "deletion", worker)


def test_notify_recipients_audits_codes_only(app):
    case, worker = _case()
    services.notify_recipients(case, "rectification", worker)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "recipients.notified")).all()
    assert len(events) == 3
    assert all(event.object_id == case.id and "email" not in event.data for event in events)


def test_mark_told_completes_a_pending_notice(app):
    case, worker = _case()
    pending = next(
        n for n in services.notify_recipients(case, "erasure", worker) if n.status is NoticeStatus.PENDING
    )
    services.mark_told(pending, worker)
    db.session.commit()
    assert pending.status is NoticeStatus.SENT and pending.sent_at is not None


def test_requester_is_told_every_recipient_and_the_changes(app):
    case, worker = _case()
    assert [r.name for r in services.recipients_for_requester(case)][:2] == [
        "Rowan Primary",
        "Rowan Learning Trust",
    ]
    services.notify_recipients(case, "restriction", worker)
    services.notify_recipients(case, "restriction_lifted", worker)
    db.session.commit()
    summary = {r.name: r.changes for r in services.recipients_for_requester(case)}
    assert summary["Rowan Learning Trust"] == ("restriction", "restriction_lifted")
    assert len(summary) == 3
