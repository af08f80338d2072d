"""Art 19: who received the subject's data, telling them of a change, and
telling the requester who they were.

The recipients of a case's data are the third parties the processing
register names for the categories concerned: never the controller whose
case it is (the school, or the trust, whose request the company acts on),
nor the trust a school belongs to, nor a trust's own schools for a case of
that trust. They are one controller's side: the data was not disclosed to
them, they disclosed it, and Art 19 is theirs to carry out.

Which categories a change concerns is taken from the case, not from the
whole register entry: an erasure's executed steps that changed something
(kept categories are not erased), a rectification's applied proposals, a
restriction's restricted records. A recipient that received none of them
is not told.

A recipient with a contact registered with us is sent the notice by email,
naming the controller's contact for details. The register's recipients
have no contact here, so the school is to tell them: their notices stay
pending until someone records that it was done, and the school's data
protection contact gets one email listing them and what changed for each
(with the company's data protection team, not itself, for questions).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr

from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record
from app.cases.models import Case
from app.cases.reminders import company_mailbox
from app.collect.models import CollectedItem
from app.db import new_uuid, utcnow
from app.erasure.models import ErasurePlan, StepAction, StepState
from app.extensions import db
from app.letters.services import absolute_url
from app.mail import send_mail
from app.orgs.models import Organisation
from app.recipients import letters
from app.recipients.models import Change, NoticeChannel, NoticeStatus, RecipientKind, RecipientNotice
from app.rectification.models import ProposalStatus, RectificationProposal
from app.register.models import RegisterEntry
from app.restriction.models import Restriction
from app.sources.protocol import PersonKind

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

Pair = tuple[str, str]  # (source, category) as the register and collected items name it

# An erasure target (``app.erasure.targets``) and the register entries whose
# data it changes, where their names differ.
_ERASURE_REGISTER: dict[Pair, tuple[Pair, ...]] = {
    ("pupils", "assessments"): (("pupils", "assessment"),),
    ("pupils", "enrolments"): (("pupils", "enrolment"),),
    ("contacts", "contact"): (("contacts", "identity"), ("contacts", "pupil_link")),
    ("employees", "employee"): (("employees", "staff_record"),),
    ("correspondence", "correspondence_shared"): (("correspondence", "correspondence"),),
    ("helpdesk", "support_ticket_about"): (("helpdesk", "support_ticket"),),
}
# What an executed erasure step did, as the notice says it.
_ERASURE_DONE = {
    StepAction.DELETE: "deleted",
    StepAction.ANONYMISE: "anonymised",
    StepAction.KEEP_NAME: "anonymised, name kept for historical reports",
}
# The register entries a corrected or restricted person record belongs to.
_RECORD_ENTRIES: dict[PersonKind, Pair] = {
    PersonKind.PUPIL: ("pupils", "identity"),
    PersonKind.CONTACT: ("contacts", "identity"),
    PersonKind.EMPLOYEE: ("employees", "staff_record"),
}
_RECORD_SOURCES = {kind: pair[0] for kind, pair in _RECORD_ENTRIES.items()}


@dataclass
class Recipient:
    kind: RecipientKind
    name: str
    email: str | None = None
    # Register titles of the categories this recipient received (for a
    # change, only those it changed, with what was done where it says more).
    categories: list[str] = field(default_factory=list)


def recipients_for(case: Case, change: Change | str | None = None) -> list[Recipient]:
    """The third parties the register says received the subject's data, by
    name: for ``change``, only those that received a category it changed,
    each with those categories; without one, every recipient of the data the
    case holds."""
    if change is None:
        changed = {(entry.source, entry.category): "" for entry in _register_entries(case.id)}
    else:
        changed = changed_categories(case, Change(change))
    own = _controller_names(case.organisation)
    by_name: dict[str, Recipient] = {}
    for entry in _entries(changed):
        how = changed[(entry.source, entry.category)]
        title = f"{entry.title} ({how})" if how else entry.title
        for name in entry.recipients:
            target = _classify(name.strip(), own, by_name)
            if target is not None and title not in target.categories:
                target.categories.append(title)
    return sorted(by_name.values(), key=lambda r: r.name.casefold())


def changed_categories(case: Case, change: Change) -> dict[Pair, str]:
    """The register entries (source, category) whose data ``change`` changed
    on this case, each with what was done ("" where the change says it all)."""
    if change is Change.ERASURE:
        return _erased(case)
    if change is Change.RECTIFICATION:
        kinds = db.session.scalars(
            select(RectificationProposal.kind)
            .where(
                RectificationProposal.case_id == case.id,
                RectificationProposal.status == ProposalStatus.APPLIED,
            )
            .distinct()
        )
        return {_RECORD_ENTRIES[PersonKind(kind)]: "" for kind in kinds}
    return _restricted(case)


def _erased(case: Case) -> dict[Pair, str]:
    """Only the executed steps that changed rows: a kept category, or one
    whose step found nothing left to change, was not erased."""
    plan = db.session.scalar(select(ErasurePlan).where(ErasurePlan.case_id == case.id))
    done: dict[Pair, list[str]] = {}
    for step in plan.steps if plan is not None else ():
        if step.action is StepAction.KEEP or step.state is not StepState.DONE or not step.affected_count:
            continue
        key = (step.source, step.category)
        for pair in _ERASURE_REGISTER.get(key, (key,)):
            words = done.setdefault(pair, [])
            if _ERASURE_DONE[step.action] not in words:
                words.append(_ERASURE_DONE[step.action])
    return {pair: " and ".join(words) for pair, words in done.items()}


def _restricted(case: Case) -> dict[Pair, str]:
    """A restriction covers the whole person record in its store: the
    store's register entries, narrowed to those the case collected when it
    collected any from that store."""
    kinds = db.session.scalars(
        select(Restriction.person_kind).where(Restriction.case_id == case.id).distinct()
    )
    sources = {_RECORD_SOURCES[PersonKind(kind)] for kind in kinds}
    if not sources:
        return {}
    held = {(e.source, e.category) for e in _register_entries(case.id)}
    pairs: dict[Pair, str] = {}
    for entry in db.session.scalars(select(RegisterEntry).where(RegisterEntry.source.in_(sorted(sources)))):
        held_here = {pair for pair in held if pair[0] == entry.source}
        if not held_here or (entry.source, entry.category) in held_here:
            pairs[(entry.source, entry.category)] = ""
    return pairs


def _entries(pairs: Iterable[Pair]) -> list[RegisterEntry]:
    wanted = set(pairs)
    if not wanted:
        return []
    sources = sorted({source for source, _ in wanted})
    query = (
        select(RegisterEntry)
        .where(RegisterEntry.source.in_(sources))
        .order_by(RegisterEntry.source, RegisterEntry.category)
    )
    return [e for e in db.session.scalars(query) if (e.source, e.category) in wanted]


def _controller_names(organisation: Organisation) -> set[str]:
    """The case's controller side, by name: the school (or trust), its
    trust, and a trust's own schools."""
    side = [organisation]
    if organisation.trust is not None:
        side.append(organisation.trust)
    side.extend(organisation.members)
    return {org.name.strip().casefold() for org in side}


def _controller_emails(organisation: Organisation) -> set[str]:
    side = [organisation, *([organisation.trust] if organisation.trust else []), *organisation.members]
    return {org.dp_contact_email.strip().casefold() for org in side if org.dp_contact_email}


# The register words its recipients for the response letter, so the school,
# its trust and the subject appear there as sentences ("The school (the
# controller) and its authorised staff", "The academy trust the school
# belongs to ..."). A third party that merely starts alike ("the school
# nursing service") is still a recipient.
_SUBJECT_PHRASES = ("the person the data is about", "the data subject")
_CONTROLLER_SENTENCE = re.compile(
    r"\(the controller\)"
    r"|^the school(?:['\u2019]s\b|\s*\(|\s+and\b|\s+itself\b|\s*,|$)"
    r"|^(?:the|its) (?:academy )?trust\b"
    r"|\btrust the school belongs to\b"
)


def _classify(name: str, own: set[str], by_name: dict[str, Recipient]) -> Recipient | None:
    """A register recipient, or None for the controller's own side (the
    school, its trust, by sentence or by name) and for the subject: none of
    them is a recipient to tell."""
    folded = name.casefold()
    if not folded or any(phrase in folded for phrase in _SUBJECT_PHRASES):
        return None
    if _CONTROLLER_SENTENCE.search(folded):
        return None
    if any(folded == mine or folded.startswith((f"{mine} ", f"{mine},")) for mine in own):
        return None
    return by_name.setdefault(folded, Recipient(RecipientKind.REGISTER, name))


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
    # Never a notice to the controller's own contact: it disclosed the data.
    email = recipient.email
    if email and email.strip().casefold() in _controller_emails(school):
        email = None
    notice = RecipientNotice(
        id=new_uuid(),
        case_id=case.id,
        change=change,
        recipient_kind=recipient.kind,
        recipient_name=recipient.name,
        email=email,
        created_by_id=actor.id if actor else None,
    )
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
    or, before any notice, those who would be."""
    told: dict[tuple[str, str], list[str]] = {}
    for notice in notices_for(case):
        if notice.recipient_kind in _OWN_SIDE:
            continue  # recorded before the school and its trust were known not to be recipients
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
