"""Art 19: who received the subject's data, telling them of a change, and
telling the requester who they were.

The recipients of a case's data are

- the school itself, the controller the company acts for (the change was
  made on a request to the company, so the school must hear of it);
- its trust, when it belongs to one (the trust shares the school's data);
- the recipients the processing register names for each category of data
  the case holds (``CollectedItem`` source and category).

A recipient with a contact registered with us (an organisation's data
protection contact) is sent an email through the outbox; the register's
recipients have no contact here, so the school is to tell them and the
notice stays pending until someone records that it was done.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record
from app.cases.models import Case
from app.collect.models import CollectedItem
from app.db import new_uuid, utcnow
from app.extensions import db
from app.mail import send_mail
from app.recipients import letters
from app.recipients.models import Change, NoticeChannel, NoticeStatus, RecipientKind, RecipientNotice
from app.register.models import RegisterEntry

MAIL_CATEGORY = "case.recipient_notice"

# How a change reads in the notice ("has been subject to ...").
CHANGE_PHRASES = {
    Change.RECTIFICATION: "rectification (correction)",
    Change.ERASURE: "erasure",
    Change.RESTRICTION: "restriction of processing",
    Change.RESTRICTION_LIFTED: "the lifting of a restriction of processing",
}


@dataclass
class Recipient:
    kind: RecipientKind
    name: str
    email: str | None = None
    # Register titles of the categories this recipient received.
    categories: list[str] = field(default_factory=list)


def recipients_for(case: Case) -> list[Recipient]:
    """Everyone the subject's data held for this case went to, the
    controller first, then the trust, then the register's recipients by name."""
    school = case.organisation
    controller = Recipient(RecipientKind.CONTROLLER, school.name, school.dp_contact_email)
    trust = (
        Recipient(RecipientKind.TRUST, school.trust.name, school.trust.dp_contact_email)
        if school.trust is not None
        else None
    )
    by_name: dict[str, Recipient] = {}
    for entry in _register_entries(case.id):
        for name in entry.recipients:
            target = _classify(name.strip(), controller, trust, by_name)
            if target is not None and entry.title not in target.categories:
                target.categories.append(entry.title)
    found = [controller] + ([trust] if trust else [])
    found.extend(sorted(by_name.values(), key=lambda r: r.name.casefold()))
    return found


def _classify(
    name: str, controller: Recipient, trust: Recipient | None, by_name: dict[str, Recipient]
) -> Recipient | None:
    """The register words its recipients for the response letter, so the
    school, its trust and the subject appear there as sentences: they map to
    the organisations we know (or, for the subject, to nobody to notify)."""
    folded = name.casefold()
    if not folded or any(phrase in folded for phrase in _SUBJECT_PHRASES):
        return None
    if folded.startswith("the school"):
        return controller
    if "trust" in folded:
        return trust  # None for a school outside any trust: nobody received it
    return by_name.setdefault(folded, Recipient(RecipientKind.REGISTER, name))


_SUBJECT_PHRASES = ("the person the data is about", "the data subject")


def notify_recipients(case: Case, change: str, actor: User | None) -> list[RecipientNotice]:
    """Record (and, where we have a contact, email) one notice per recipient
    of the case's data about ``change``. Idempotent: a recipient already told
    of this change for this case is not told again; every notice for the
    change is returned. The caller commits (mail goes once it does)."""
    change = Change(change)
    existing = {
        (notice.recipient_kind, notice.recipient_name): notice
        for notice in db.session.scalars(
            select(RecipientNotice).where(
                RecipientNotice.case_id == case.id, RecipientNotice.change == change
            )
        )
    }
    recipients = recipients_for(case)
    all_categories = sorted({c for r in recipients for c in r.categories})
    notices: list[RecipientNotice] = []
    for recipient in recipients:
        notice = existing.get((recipient.kind, recipient.name))
        if notice is None:
            notice = _new_notice(case, change, recipient, all_categories, actor)
        notices.append(notice)
    db.session.flush()
    return notices


def _new_notice(
    case: Case, change: Change, recipient: Recipient, all_categories: list[str], actor: User | None
) -> RecipientNotice:
    notice = RecipientNotice(
        id=new_uuid(),
        case_id=case.id,
        change=change,
        recipient_kind=recipient.kind,
        recipient_name=recipient.name,
        email=recipient.email,
        created_by_id=actor.id if actor else None,
    )
    if recipient.email:
        school = case.organisation
        letter = letters.render(
            "recipient_notice",
            {
                "recipient_name": recipient.name,
                "reference": case.reference or str(case.id),
                "organisation_name": school.name,
                "change": CHANGE_PHRASES[change],
                # The school and trust hold every category; a register
                # recipient only those it received.
                "categories": recipient.categories or all_categories,
                "contact_name": school.dp_contact_name,
                "contact_email": school.dp_contact_email,
            },
        )
        message = send_mail(
            recipient.email, letter.subject, letter.text, letter.html, category=MAIL_CATEGORY, case_id=case.id
        )
        notice.channel = NoticeChannel.EMAIL
        notice.status = NoticeStatus.SENT
        notice.sent_at = utcnow()
        notice.outbox_message_id = message.id
    else:
        notice.channel = NoticeChannel.SCHOOL
        notice.status = NoticeStatus.PENDING
    db.session.add(notice)
    record(
        "recipients.notified",
        actor_type="user" if actor else "system",
        actor_id=actor.id if actor else None,
        object_type="case",
        object_id=case.id,
        data={
            "notice_id": str(notice.id),
            "change": change.value,
            "kind": recipient.kind.value,
            "channel": notice.channel.value,
        },
    )
    return notice


def mark_told(notice: RecipientNotice, actor: User) -> RecipientNotice:
    """The school told a recipient we have no contact for."""
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


@dataclass(frozen=True)
class RecipientSummary:
    kind: str
    name: str
    changes: tuple[str, ...]


def recipients_for_requester(case: Case) -> list[RecipientSummary]:
    """Art 19, last sentence: the recipients the requester may ask to be
    told of: those notified of a change on this case, with the changes,
    or, before any notice, those who would be."""
    told: dict[tuple[str, str], list[str]] = {}
    for notice in notices_for(case):
        told.setdefault((notice.recipient_kind.value, notice.recipient_name), []).append(notice.change.value)
    if not told:
        return [RecipientSummary(r.kind.value, r.name, ()) for r in recipients_for(case)]
    return [RecipientSummary(kind, name, tuple(changes)) for (kind, name), changes in told.items()]


def _register_entries(case_id: uuid.UUID) -> Sequence[RegisterEntry]:
    held = (
        select(CollectedItem.source, CollectedItem.category)
        .where(CollectedItem.case_id == case_id)
        .distinct()
        .subquery()
    )
    query = (
        select(RegisterEntry)
        .join(held, (RegisterEntry.source == held.c.source) & (RegisterEntry.category == held.c.category))
        .order_by(RegisterEntry.source, RegisterEntry.category)
    )
    return db.session.scalars(query).all()
