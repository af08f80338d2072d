"""Art 19: telling the recipients of a case's data of a change, and telling
the requester who they were. Who they are is ``app.recipients.who_received``.

A recipient with a contact registered with us is sent the notice by email,
naming the controller's contact for details. The register's recipients
have no contact here, so the school is to tell them: their notices stay
pending until someone records that it was done, and the school's data
protection contact gets one email listing them and what changed for each
(with the company's data protection team, not itself, for questions).

The register also words some recipients as a kind of recipient, not an
organisation ("Others only where the law requires it"). Nothing records a
disclosure to one, so there is nobody to tell: its notice is recorded
closed ("none recorded", no channel), is no work for anyone, and is not in
the school's email; the letters say no disclosure to anyone else is
recorded (``app.recipients.told``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr

from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record
from app.cases.models import Case
from app.cases.reminders import company_mailbox
from app.db import new_uuid, utcnow
from app.extensions import db
from app.letters.services import absolute_url
from app.mail import send_mail
from app.orgs.models import Organisation
from app.recipients import letters
from app.recipients.models import Change, NoticeChannel, NoticeStatus, RecipientKind, RecipientNotice
from app.recipients.told import names_an_organisation
from app.recipients.who_received import Recipient, controller_side, recipients_for

MAIL_CATEGORY = "case.recipient_notice"
# The email asking the school to tell the recipients we have no contact for.
SCHOOL_CATEGORY = "case.recipients_to_tell"

# How a change reads in the notice ("has been subject to ...").
CHANGE_PHRASES = {
    Change.RECTIFICATION: "rectification (correction)",
    Change.ERASURE: "erasure",
    Change.RESTRICTION: "restriction of processing",
    Change.RESTRICTION_LIFTED: "the lifting of a restriction of processing",
}


def _controller_emails(organisation: Organisation) -> set[str]:
    emails = (org.dp_contact_email for org in controller_side(organisation))
    return {email.strip().casefold() for email in emails if email}


def notify_recipients(case: Case, change: str, actor: User | None) -> list[RecipientNotice]:
    """Record (and, where we have a contact, email) one notice per recipient
    of the data ``change`` changed on this case; where we have none, ask the
    school to tell them (one email for the notices this call records).
    Idempotent: a recipient already told of this change for this case is not
    told again; every notice for the change is returned. The caller commits
    (mail goes once it does)."""
    change = Change(change)
    existing = {
        (notice.recipient_kind, notice.recipient_name): notice
        for notice in db.session.scalars(
            select(RecipientNotice).where(
                RecipientNotice.case_id == case.id, RecipientNotice.change == change
            )
        )
    }
    notices: list[RecipientNotice] = []
    for_school: list[tuple[RecipientNotice, Recipient]] = []
    for recipient in recipients_for(case, change):
        notice = existing.get((recipient.kind, recipient.name))
        if notice is None:
            notice = _new_notice(case, change, recipient, actor)
            if notice.status is NoticeStatus.PENDING:
                for_school.append((notice, recipient))
        notices.append(notice)
    db.session.flush()
    if for_school:
        _ask_school(case, change, for_school, actor)
    return notices


def _new_notice(case: Case, change: Change, recipient: Recipient, actor: User | None) -> RecipientNotice:
    school = case.organisation
    notice = RecipientNotice(
        id=new_uuid(),
        case_id=case.id,
        change=change,
        recipient_kind=recipient.kind,
        recipient_name=recipient.name,
        email=None,
        created_by_id=actor.id if actor else None,
    )
    if not names_an_organisation(recipient.name):
        # A kind of recipient: no disclosure to one is recorded, nobody to tell.
        notice.channel = NoticeChannel.NONE
        notice.status = NoticeStatus.NONE_RECORDED
        db.session.add(notice)
        _audit("recipients.none_recorded", case, actor, notice)
        return notice
    # Never a notice to the controller's own contact: it disclosed the data.
    email = recipient.email
    if email and email.strip().casefold() in _controller_emails(school):
        email = None
    notice.email = email
    if email:
        letter = letters.render(
            "recipient_notice",
            {
                "recipient_name": recipient.name,
                "reference": case.reference or str(case.id),
                "organisation_name": school.name,
                "change": CHANGE_PHRASES[change],
                "categories": recipient.categories,
                # The reader is someone else: the controller gives the details.
                "contact_name": school.dp_contact_name,
                "contact_email": school.dp_contact_email,
            },
        )
        message = send_mail(
            email, letter.subject, letter.text, letter.html, category=MAIL_CATEGORY, case_id=case.id
        )
        notice.channel = NoticeChannel.EMAIL
        notice.status = NoticeStatus.SENT
        notice.sent_at = utcnow()
        notice.outbox_message_id = message.id
    else:
        notice.channel = NoticeChannel.SCHOOL
        notice.status = NoticeStatus.PENDING
    db.session.add(notice)
    _audit("recipients.notified", case, actor, notice)
    return notice


def _audit(action: str, case: Case, actor: User | None, notice: RecipientNotice) -> None:
    record(
        action,
        actor_type="user" if actor else "system",
        actor_id=actor.id if actor else None,
        object_type="case",
        object_id=case.id,
        data={
            "notice_id": str(notice.id),
            "change": notice.change.value,
            "kind": notice.recipient_kind.value,
            "channel": notice.channel.value,
        },
    )


def _ask_school(
    case: Case, change: Change, pending: list[tuple[RecipientNotice, Recipient]], actor: User | None
) -> None:
    """One email to the school's data protection contact: the recipients it
    is to tell, and what changed for each. The reader is the controller's
    contact, so questions go to the company's data protection team."""
    school = case.organisation
    letter = letters.render(
        "recipient_notice_school",
        {
            "contact_name": school.dp_contact_name,
            "reference": case.reference or str(case.id),
            "organisation_name": school.name,
            "change": CHANGE_PHRASES[change],
            "recipients": [{"name": r.name, "categories": r.categories} for _, r in pending],
            "case_url": absolute_url("console.case", case_id=case.id),
            "company_email": parseaddr(company_mailbox())[1] or company_mailbox(),
        },
    )
    message = send_mail(
        school.dp_contact_email,
        letter.subject,
        letter.text,
        letter.html,
        category=SCHOOL_CATEGORY,
        case_id=case.id,
    )
    record(
        "recipients.school_asked",
        actor_type="user" if actor else "system",
        actor_id=actor.id if actor else None,
        object_type="case",
        object_id=case.id,
        data={
            "change": change.value,
            "notice_ids": [str(notice.id) for notice, _ in pending],
            "message_id": str(message.id),
        },
    )


def mark_told(notice: RecipientNotice, actor: User) -> RecipientNotice:
    """The school told a recipient we have no contact for (a notice sent,
    or closed as none recorded, is left as it is)."""
    if notice.status is NoticeStatus.PENDING:
        notice.status = NoticeStatus.SENT
        notice.sent_at = utcnow()
        record(
            "recipients.told_by_school",
            actor_type="user",
            actor_id=actor.id,
            object_type="case",
            object_id=notice.case_id,
            data={"notice_id": str(notice.id)},
        )
    return notice


def notices_for(case: Case) -> Sequence[RecipientNotice]:
    ordered = (
        select(RecipientNotice)
        .where(RecipientNotice.case_id == case.id)
        .order_by(RecipientNotice.created_at, RecipientNotice.recipient_name)
    )
    return db.session.scalars(ordered).all()


# Kinds of notice no longer recorded: the controller's own side.
_OWN_SIDE = (RecipientKind.CONTROLLER, RecipientKind.TRUST)


@dataclass(frozen=True)
class RecipientSummary:
    kind: str
    name: str
    changes: tuple[str, ...]


def recipients_for_requester(case: Case) -> list[RecipientSummary]:
    """Art 19, last sentence: the recipients the requester may ask to be
    told of: those notified of a change on this case, with the changes,
    or, before any notice, those who would be. A kind of recipient the
    register names is listed without changes: nobody was told anything."""
    told: dict[tuple[str, str], list[str]] = {}
    for notice in notices_for(case):
        if notice.recipient_kind in _OWN_SIDE:
            continue  # recorded before the school and its trust were known not to be recipients
        changes = told.setdefault((notice.recipient_kind.value, notice.recipient_name), [])
        if notice.status is not NoticeStatus.NONE_RECORDED:
            changes.append(notice.change.value)
    if not told:
        return [RecipientSummary(r.kind.value, r.name, ()) for r in recipients_for(case)]
    return [RecipientSummary(kind, name, tuple(changes)) for (kind, name), changes in told.items()]
