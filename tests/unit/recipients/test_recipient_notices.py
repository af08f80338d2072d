from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.db import new_uuid
from app.erasure.models import StepAction
from app.extensions import db
from app.mail.models import OutboxMessage
from app.recipients import services, who_received
from app.recipients.models import (
    Change,
    NoticeChannel,
    NoticeStatus,
    RecipientKind,
    RecipientNotice,
)
from app.sources.protocol import PersonKind
from tests.unit.api.estate import make_organisation
from tests.unit.recipients.factory import (
    case_holding,
    caseworker,
    corrected,
    disclose,
    erased,
    restricted,
    trust_school,
)

PUPIL_DATA = (("pupils", "identity"), ("pupils", "enrolment"))
OTHERS = "Others only where the law requires it"
LA = "Northshire County Council"
SCHOOL_DPO = "dpo@rowan-primary.example.org"
TRUST_DPO = "dpo@rowan-learning-trust.example.org"


def _case(pairs=PUPIL_DATA):
    _trust, school = trust_school()
    worker = caseworker()
    return case_holding(school, worker, *pairs), worker


def test_recipients_are_the_registers_third_parties_not_the_school_or_its_trust(app):
    case, _ = _case()
    recipients = who_received.recipients_for(case)
    # The register also names the school (the controller), its trust and
    # the subject: none of them is a recipient of the data.
    assert [(r.kind, r.name) for r in recipients] == [(RecipientKind.REGISTER, OTHERS)]
    assert recipients[0].email is None
    assert len(recipients[0].categories) == 2


def test_register_recipients_come_only_from_categories_the_case_holds(app):
    case, _ = _case(pairs=())
    assert who_received.recipients_for(case) == []


def test_controller_side_names_are_no_recipients_but_look_alikes_are(app):
    trust, school = trust_school()
    sister = make_organisation("Rowan Secondary", trust=trust)
    db.session.commit()
    worker = caseworker()
    case = case_holding(school, worker, ("pupils", "identity"))
    disclose(
        "pupils",
        "identity",
        "Rowan Primary",
        "Rowan Learning Trust",
        "The school's governing board",
        "The school nursing service (NHS)",
        "Leeds Community Healthcare NHS Trust",
        "Rowan Secondary",
    )
    names = [r.name for r in who_received.recipients_for(case)]
    # Another school of the same trust is a third party for a school's case.
    assert names == [
        "Leeds Community Healthcare NHS Trust",
        OTHERS,
        "Rowan Secondary",
        "The school nursing service (NHS)",
    ]
    # For a case of the trust itself, its own schools are the controller too.
    trust_case = case_holding(trust, worker, ("pupils", "identity"))
    assert sister.name not in [r.name for r in who_received.recipients_for(trust_case)]


def test_a_change_tells_only_the_recipients_of_what_it_changed(app):
    case, _ = _case(pairs=(("pupils", "identity"), ("pupils", "attendance")))
    disclose("pupils", "attendance", "Department for Education")
    corrected(case)  # a pupil's postcode: the identity entry only
    rectified = who_received.recipients_for(case, Change.RECTIFICATION)
    assert [(r.name, r.categories) for r in rectified] == [(OTHERS, ["Pupil identity and contact details"])]
    # Nothing erased yet: nobody to tell of an erasure.
    assert who_received.recipients_for(case, Change.ERASURE) == []


def test_an_erasure_lists_executed_changes_and_never_kept_categories(app):
    case, _ = _case(pairs=())
    erased(
        case,
        ("pupils", "send", StepAction.DELETE, 2),
        ("pupils", "identity", StepAction.ANONYMISE, 1),
        ("pupils", "attendance", StepAction.KEEP, 0),
        ("pupils", "assessments", StepAction.KEEP, 0),
        ("pupils", "enrolments", StepAction.DELETE, 0),  # nothing left to delete
        ("employees", "employee", StepAction.KEEP_NAME, 1),
    )
    (recipient,) = who_received.recipients_for(case, Change.ERASURE)
    assert recipient.categories == [
        "Staff record (anonymised, name kept for historical reports)",
        "Pupil identity and contact details (anonymised)",
        "Special educational needs (deleted)",
    ]


def test_notify_recipients_leaves_register_recipients_to_the_school_and_asks_it(app, smtp):
    case, worker = _case()
    disclose("pupils", "identity", LA)
    restricted(case)
    before = len(smtp.messages)
    notices = services.notify_recipients(case, "restriction", worker)
    db.session.commit()
    assert [(n.recipient_kind, n.recipient_name) for n in notices] == [
        (RecipientKind.REGISTER, LA),
        (RecipientKind.REGISTER, OTHERS),
    ]
    notice, others = notices
    assert notice.channel is NoticeChannel.SCHOOL and notice.status is NoticeStatus.PENDING
    assert notice.sent_at is None and notice.email is None
    # A kind of recipient: nobody to tell, so nothing for the school to do.
    assert (others.channel, others.status) == (NoticeChannel.NONE, NoticeStatus.NONE_RECORDED)
    received = smtp.messages[before:]
    # One email, to the school's contact only: not to the trust, and not
    # a notice as if the school were a recipient of its own data.
    assert [m.rcpt_tos for m in received] == [[SCHOOL_DPO]]
    message = received[0].message
    assert case.reference in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "Dear Rowan Primary DPO," in text and "Dear Rowan Primary," not in text
    assert "restriction of processing" in text and LA in text and OTHERS not in text
    # Only the categories the organisation received: "Others" alone had the enrolment.
    assert "Pupil identity and contact details" in text and "Enrolment" not in text
    assert SCHOOL_DPO not in text  # the reader is not sent to itself for details
    assert case.subject_name not in text  # the email never names the person
    stored = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.case_id == case.id, OutboxMessage.category.startswith("case.recipient")
        )
    ).all()
    assert [(m.category, m.text_body) for m in stored] == [
        (services.SCHOOL_CATEGORY, text.replace("\r\n", "\n"))
    ]


def test_a_recipient_with_a_contact_is_emailed_the_notice_naming_the_controller(app, smtp, monkeypatch):
    case, worker = _case()
    corrected(case)
    found = [
        who_received.Recipient(RecipientKind.REGISTER, "Northshire Council", "dpo@northshire.example.gov.uk"),
        # A "recipient" at the controller's own address is the controller.
        who_received.Recipient(RecipientKind.REGISTER, "Rowan data office", TRUST_DPO.upper()),
    ]
    for recipient in found:
        recipient.categories = ["Pupil identity and contact details"]
    # Patched where notify_recipients looks it up.
    monkeypatch.setattr(services, "recipients_for", lambda case, change=None: found)
    before = len(smtp.messages)
    notices = {n.recipient_name: n for n in services.notify_recipients(case, "rectification", worker)}
    db.session.commit()
    assert notices["Northshire Council"].status is NoticeStatus.SENT
    assert notices["Northshire Council"].channel is NoticeChannel.EMAIL
    assert notices["Rowan data office"].status is NoticeStatus.PENDING
    assert notices["Rowan data office"].email is None
    by_address = {m.rcpt_tos[0]: m.message for m in smtp.messages[before:]}
    assert set(by_address) == {"dpo@northshire.example.gov.uk", SCHOOL_DPO}
    text = by_address["dpo@northshire.example.gov.uk"].get_body(("plain",)).get_content()
    assert "Dear Northshire Council," in text
    assert f"Rowan Primary DPO at Rowan Primary ({SCHOOL_DPO})" in text
    assert "- Pupil identity and contact details" in text
    school_text = by_address[SCHOOL_DPO].get_body(("plain",)).get_content()
    assert "Rowan data office" in school_text and "Northshire Council" not in school_text


def test_notify_recipients_twice_tells_each_recipient_once(app, smtp):
    case, worker = _case()
    restricted(case)
    first = services.notify_recipients(case, "restriction", worker)
    db.session.commit()
    sent = len(smtp.messages)
    again = services.notify_recipients(case, "restriction", worker)
    db.session.commit()
    assert [n.id for n in again] == [n.id for n in first]
    assert len(smtp.messages) == sent  # the school is not asked twice either
    count = db.session.scalar(select(func.count()).select_from(RecipientNotice))
    assert count == 1


def test_notify_recipients_of_another_change_is_a_new_notice(app):
    case, worker = _case()
    restricted(case)
    services.notify_recipients(case, "restriction", worker)
    services.notify_recipients(case, "restriction_lifted", worker)
    db.session.commit()
    assert len(services.notices_for(case)) == 2


def test_nothing_changed_tells_nobody(app, smtp):
    case, worker = _case()
    erased(case, ("pupils", "attendance", StepAction.KEEP, 0))
    before = len(smtp.messages)
    assert services.notify_recipients(case, "erasure", worker) == []
    db.session.commit()
    assert len(smtp.messages) == before


def test_notify_recipients_refuses_an_unknown_change(app):
    case, worker = _case()
    with pytest.raises(ValueError):
        services.notify_recipients(case, "deletion", worker)


def test_notify_recipients_audits_codes_only(app):
    case, worker = _case()
    disclose("pupils", "identity", LA)
    corrected(case)
    notices = {n.recipient_name: n for n in services.notify_recipients(case, "rectification", worker)}
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "recipients.notified")).all()
    assert [event.data["notice_id"] for event in events] == [str(notices[LA].id)]
    assert all(event.object_id == case.id and "email" not in event.data for event in events)
    # The kind of recipient was weighed, and nobody was told: its own event.
    (closed,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "recipients.none_recorded"))
    assert closed.data == {
        "notice_id": str(notices[OTHERS].id),
        "change": "rectification",
        "kind": "register",
        "channel": "none",
    }
    (asked,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "recipients.school_asked"))
    assert set(asked.data) == {"change", "notice_ids", "message_id"}


def test_mark_told_completes_a_pending_notice(app):
    case, worker = _case()
    disclose("pupils", "identity", LA)
    erased(case, ("pupils", "identity", StepAction.ANONYMISE, 1))
    pending = next(
        n for n in services.notify_recipients(case, "erasure", worker) if n.status is NoticeStatus.PENDING
    )
    services.mark_told(pending, worker)
    db.session.commit()
    assert pending.status is NoticeStatus.SENT and pending.sent_at is not None


def test_requester_is_told_every_recipient_and_the_changes(app):
    case, worker = _case()
    disclose("pupils", "identity", LA)
    assert [r.name for r in services.recipients_for_requester(case)] == [LA, OTHERS]
    restricted(case)
    services.notify_recipients(case, "restriction", worker)
    services.notify_recipients(case, "restriction_lifted", worker)
    # A notice recorded for the school itself before it was no recipient.
    db.session.add(
        RecipientNotice(
            id=new_uuid(),
            case_id=case.id,
            change=Change.RESTRICTION,
            recipient_kind=RecipientKind.CONTROLLER,
            recipient_name="Rowan Primary",
            channel=NoticeChannel.EMAIL,
            email=SCHOOL_DPO,
            status=NoticeStatus.SENT,
        )
    )
    db.session.commit()
    summary = {r.name: r.changes for r in services.recipients_for_requester(case)}
    # "Others" is still named (the register names it) but was told of nothing.
    assert summary == {LA: ("restriction", "restriction_lifted"), OTHERS: ()}


@pytest.mark.parametrize(
    ("change", "make"),
    [
        ("rectification", corrected),
        ("erasure", lambda case: erased(case, ("pupils", "identity", StepAction.ANONYMISE, 1))),
        ("restriction", restricted),
    ],
)
def test_a_kind_of_recipient_gets_a_closed_notice_and_no_one_is_asked(app, smtp, change, make):
    """The register's "Others only where the law requires it" names no
    organisation and no disclosure to one is recorded: its notice is closed
    as none recorded from the start, never pending work, and the school is
    not asked to tell "others"."""
    case, worker = _case()
    make(case)
    before = len(smtp.messages)
    (notice,) = services.notify_recipients(case, change, worker)
    db.session.commit()
    assert notice.recipient_name == OTHERS
    assert (notice.status, notice.channel) == (NoticeStatus.NONE_RECORDED, NoticeChannel.NONE)
    assert notice.email is None and notice.sent_at is None and notice.outbox_message_id is None
    assert smtp.messages[before:] == []
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "recipients.school_asked")
    ).all()
    pending = db.session.scalars(
        select(RecipientNotice).where(RecipientNotice.status == NoticeStatus.PENDING)
    ).all()
    assert pending == []
    # Nothing to record as told, and asking again records nothing new.
    assert services.mark_told(notice, worker).status is NoticeStatus.NONE_RECORDED
    assert [n.id for n in services.notify_recipients(case, change, worker)] == [notice.id]
    db.session.commit()
    assert smtp.messages[before:] == []


def test_a_restriction_covers_the_restricted_records_store(app):
    case, _ = _case(pairs=(("pupils", "identity"), ("helpdesk", "support_ticket")))
    disclose("helpdesk", "support_ticket", "Our helpdesk software supplier")
    restricted(case, PersonKind.PUPIL)
    names = [r.name for r in who_received.recipients_for(case, Change.RESTRICTION)]
    assert names == [OTHERS]  # the helpdesk's recipient received nothing restricted
