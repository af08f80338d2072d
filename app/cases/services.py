"""What can be done to a case: submit, confirm, refuse, withdraw, close,
advance. Deciding identity is in ``app.cases.identity``; pausing, resuming
and extending the clock are in ``app.cases.clock_changes``; assigning is in
``app.cases.assignment``; finding a possible duplicate is in
``app.cases.duplicates``.

Each function changes the case in the caller's transaction (the caller
commits), moves it only through ``lifecycle.move``, rewrites the clock's
sort cache whenever a clock input changes, records a timeline event and an
audit event, and writes any letter to the mail outbox, which is delivered
only after the commit. Bad input raises ``FieldError`` (naming the field;
``FieldErrors`` names several at once); a move the lifecycle forbids raises
``IllegalTransition``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.accounts.models import User
from app.cases import letters, lifecycle
from app.cases.clock import add_months
from app.cases.clock_inputs import refresh_clock
from app.cases.duplicates import find_duplicate_id
from app.cases.lifecycle import IllegalTransition
from app.cases.models import (
    Case,
    CaseEvent,
    CaseEvidence,
    CaseStatus,
    RefusalReason,
    Relationship,
    RequestType,
    SubjectRole,
)
from app.cases.references import duplicate_key, next_reference
from app.cases.status_links import mint_status_link
from app.db import new_uuid, utcnow
from app.extensions import db
from app.letters.services import format_date
from app.mail import send_mail
from app.orgs.models import Organisation
from app.portability import destination
from app.sources.validation import FieldError, FieldProblems, check_email, check_upn

MAX_TEXT = 5000
REFUSAL_WORDING = {
    RefusalReason.MANIFESTLY_UNFOUNDED: "the request is manifestly unfounded",
    RefusalReason.MANIFESTLY_EXCESSIVE: "the request is manifestly excessive",
    RefusalReason.IDENTITY_NOT_PROVEN: "we could not confirm your identity (or your authority to act)",
    RefusalReason.EXCEPTION_APPLIES: (
        "the law allows us not to do what you asked, or requires us to keep the information, "
        "as explained below"
    ),
}
# The timeline line ``evidence.request_identity`` writes when the
# requester is emailed for proof of identity (or of authority).
IDENTITY_REQUESTED = "identity_requested"
# UK GDPR Art 12(6) and the ICO: with reasonable doubts the controller asks
# for what confirms identity, and may decline to act only if it is not given.
ASK_FOR_IDENTITY_FIRST = (
    "ask the requester for proof of identity first: a request can be refused for identity not "
    "proven only once they were asked and did not provide it"
)
# A requester asked for proof has a calendar month from the day the request
# for it went (the same date in the next month, or that month's last day)
# to send it before a refusal for identity not proven, unless they sent
# something since that is judged not enough. Art 12(2) lets the controller
# refuse only where it shows it cannot identify the person, and Art 12(6)
# and the ICO mean the requester is given a real chance to answer: a month
# is the time the law gives the controller to answer once identity arrives,
# the period the clock would have given, and enough for a parent to obtain a
# copy of a birth certificate or a court order by post.
IDENTITY_WAIT_MONTHS = 1
IDENTITY_ACCEPTED = (
    "identity was accepted for this request, so it cannot be refused for identity not proven: that "
    "would reverse the identity decision without the requester being asked or heard. Refuse on "
    "another ground if one applies"
)
DECIDE_EVIDENCE_FIRST = (
    "decide on the evidence they sent first: the requester uploaded proof that nobody has accepted "
    "or refused yet, so make the identity decision"
)
# How a requester asks to withdraw: staff record it, as evidence that the
# request was ended on the requester's word.
WITHDRAWAL_CHANNELS: dict[str, str] = {
    "email": "By email",
    "letter": "By letter",
    "phone": "By phone",
    "in_person": "In person",
}
# Steps of the work itself, moved by staff one at a time.
ADVANCES = frozenset(
    {
        CaseStatus.GATHERING,
        CaseStatus.IN_REVIEW,
        CaseStatus.APPROVED,
        CaseStatus.EXECUTING,
        CaseStatus.RESPONDED,
        CaseStatus.CLOSED,
    }
)

__all__ = ["FieldError", "IllegalTransition"]


def checked_text(
    value: str | None, field: str, *, required: bool = True, limit: int = MAX_TEXT
) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise FieldError(field, "this cannot be empty")
        return None
    if len(value) > limit:
        raise FieldError(field, f"use at most {limit} characters")
    return value


def checked_choice(enum_cls: Any, value: Any, field: str) -> Any:
    try:
        return enum_cls(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum_cls)
        raise FieldError(field, f"{value!r} is not one of {choices}") from None


_audit = lifecycle.audit_case


UK_TIME = ZoneInfo("Europe/London")


def uk_today(now: datetime | None = None) -> date:
    """The UK calendar day (GMT in winter, BST in summer) at ``now``, an
    aware time (the present when omitted). Every "today" the clock takes is
    this: a request sent at 00:30 BST on 1 July arrived on 1 July, though
    it was still 30 June in UTC. Timestamps stay in UTC."""
    return (now or utcnow()).astimezone(UK_TIME).date()


def today_or(today: date | None) -> date:
    return today or uk_today()


# --- intake --------------------------------------------------------------------


def submit(
    *,
    organisation: Organisation,
    request_type: RequestType | str,
    requester_name: str,
    requester_email: str,
    requester_relationship: Relationship | str,
    subject_name: str,
    subject_dob: date,
    subject_role: SubjectRole | str,
    description: str,
    subject_upn: str | None = None,
    subject_staff_number: str | None = None,
    requester_phone: str | None = None,
    destination_name: str | None = None,
    destination_email: str | None = None,
    received_on: date | None = None,
    fee_allowed: bool = False,
) -> Case:
    """A new case in ``submitted``, waiting for its email to be confirmed.
    Duplicates are looked for when it is confirmed (``confirm``): until then
    it is not a request, and most unconfirmed submissions never become one.
    ``destination_name`` and ``destination_email``: where a portability
    requester wants the data sent (``app.portability.destination``)."""
    received = today_or(received_on)
    if subject_dob > received:
        raise FieldError("subject_dob", "the date of birth cannot be in the future")
    kind = checked_choice(RequestType, request_type, "request_type")
    send_to = checked_destination(kind, destination_name, destination_email)
    case = Case(
        id=new_uuid(),
        organisation=organisation,
        organisation_id=organisation.id,
        request_type=kind,
        status=CaseStatus.SUBMITTED,
        requester_name=checked_text(requester_name, "requester_name", limit=200),
        requester_email=check_email(requester_email or "", "requester_email"),
        requester_phone=checked_text(requester_phone, "requester_phone", required=False, limit=30),
        requester_relationship=checked_choice(Relationship, requester_relationship, "requester_relationship"),
        subject_name=checked_text(subject_name, "subject_name", limit=200),
        subject_dob=subject_dob.isoformat(),
        subject_role=checked_choice(SubjectRole, subject_role, "subject_role"),
        subject_upn=check_upn(subject_upn.strip(), "subject_upn") if subject_upn else None,
        subject_staff_number=checked_text(
            subject_staff_number, "subject_staff_number", required=False, limit=40
        ),
        description=checked_text(description, "description"),
        destination_name=send_to[0],
        destination_email=send_to[1],
        received_on=received,
        fee_allowed=fee_allowed,
        created_at=utcnow(),
        # Empty from the start, so the clock and the timeline do not load
        # them from a database that cannot hold any yet.
        pauses=[],
        events=[],
        evidence=[],
    )
    case.duplicate_key = duplicate_key(case.requester_email, case.subject_name, subject_dob)
    refresh_clock(case)
    db.session.add(case)
    data = {"request_type": case.request_type.value}
    _audit("case.submitted", case, None, data)
    lifecycle.add_event(case, "submitted", None, data)
    return case


def checked_destination(
    request_type: RequestType, name: str | None, email: str | None
) -> tuple[str | None, str | None]:
    """The organisation's name and address to store, or ``FieldErrors``
    naming every field at fault (the rules of ``app.portability.destination``)."""
    name = checked_text(name, destination.NAME, required=False, limit=destination.NAME_MAX)
    email = (email or "").strip() or None
    problems = FieldProblems()
    for field, message in destination.destination_problems(request_type.value, name, email).items():
        problems.add(field, message)
    if email is not None and destination.EMAIL not in problems.errors:
        problems.check(lambda: check_email(email, destination.EMAIL))
    problems.raise_any()
    return name, email


def confirm(case: Case, *, actor: User | None = None) -> Case:
    """The requester confirmed their email: issue the reference, flag (never
    block) a duplicate (the same requester, subject and type at the same
    organisation within 90 days), tell the school's data-protection contact
    at once and acknowledge the requester."""
    lifecycle.move(case, CaseStatus.AWAITING_IDENTITY, actor)
    case.reference = next_reference(case.received_on.year)
    case.confirmed_at = utcnow()
    if case.duplicate_of_id is None:
        case.duplicate_of_id = find_duplicate_id(case)
    result = refresh_clock(case)
    status_url = mint_status_link(case)
    send_letter(
        case,
        letters.acknowledgement(case, result.due, status_url),
        case.requester_email,
        "case.acknowledgement",
    )
    send_letter(
        case, letters.school_notification(case), case.organisation.dp_contact_email, "case.school_notice"
    )
    _audit("case.confirmed", case, actor, {"reference": case.reference, "duplicate_of": case.duplicate_of_id})
    return case


def send_letter(case: Case, letter: letters.Letter, to: str, category: str) -> None:
    send_mail(to, letter.subject, letter.body, letter.html_body, category=category, case_id=case.id)
    lifecycle.add_event(case, "mail_sent", None, {"category": category})


# --- ending --------------------------------------------------------------------


def identity_was_requested(case: Case) -> bool:
    """Whether the requester was emailed for proof of identity on this case
    (the identity-request letter leaves its line on the timeline)."""
    asked = select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.kind == IDENTITY_REQUESTED)
    return db.session.scalar(asked.limit(1)) is not None


def evidence_awaits_decision(case: Case) -> bool:
    """Whether proof the requester sent is still to be judged. Files are
    taken only while the case awaits identity, and the identity decision
    (accepting, or refusing) is what moves it on, so any file on a case
    still awaiting identity is undecided."""
    if case.status is not CaseStatus.AWAITING_IDENTITY:
        return False
    sent = select(CaseEvidence.id).where(CaseEvidence.case_id == case.id)
    return db.session.scalar(sent.limit(1)) is not None


def identity_refusal_problem(case: Case, today: date) -> str | None:
    """Why a case awaiting identity cannot be refused for identity not
    proven today, or None when it can: the requester must have been asked
    for proof, and have either sent something since the latest request (the
    decision judges it not enough) or let ``IDENTITY_WAIT_MONTHS`` pass."""
    asked = select(func.max(CaseEvent.at)).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == IDENTITY_REQUESTED
    )
    latest = db.session.scalar(asked)
    if latest is None:
        return ASK_FOR_IDENTITY_FIRST
    sent = select(CaseEvidence.id).where(CaseEvidence.case_id == case.id, CaseEvidence.created_at >= latest)
    if db.session.scalar(sent.limit(1)) is not None:
        return None
    until = add_months(latest.date(), IDENTITY_WAIT_MONTHS)
    if today >= until:
        return None
    return (
        f"the requester was asked for proof of identity on {format_date(latest)} and has until "
        f"{format_date(until)} to send it: refuse for identity not proven from that day if nothing "
        "arrived, or when what they send is not enough"
    )


def refuse(
    case: Case, actor: User, *, reason: RefusalReason | str, detail: str, today: date | None = None
) -> Case:
    """Refuse (the controller's decision) and send the refusal with the right
    to complain to the ICO. Identity not proven is a reason only while the
    case awaits identity (``IllegalTransition`` once it was accepted), once
    the requester was asked for proof and had the time to send it, and
    only when nothing they sent waits for the identity decision
    (``FieldError`` on ``reason`` otherwise)."""
    chosen = checked_choice(RefusalReason, reason, "reason")
    detail_text = checked_text(detail, "detail")
    # A case already answered or ended gets the lifecycle's answer instead.
    if chosen is RefusalReason.IDENTITY_NOT_PROVEN and case.status in lifecycle.ACTIVE:
        if case.status not in (CaseStatus.SUBMITTED, CaseStatus.AWAITING_IDENTITY):
            raise IllegalTransition(case, CaseStatus.REFUSED, IDENTITY_ACCEPTED)
        if not identity_was_requested(case):
            raise FieldError("reason", ASK_FOR_IDENTITY_FIRST)
        if evidence_awaits_decision(case):
            raise FieldError("reason", DECIDE_EVIDENCE_FIRST)
        problem = identity_refusal_problem(case, today_or(today))
        if problem is not None:
            raise FieldError("reason", problem)
    return send_refusal(case, actor, chosen, detail_text)


def send_refusal(case: Case, actor: User, chosen: RefusalReason, detail_text: str | None) -> Case:
    lifecycle.move(case, CaseStatus.REFUSED, actor, data={"reason": chosen.value})
    end_open_pause(case)
    case.refusal_reason = chosen
    case.refusal_detail = detail_text
    letter = letters.refusal(case, REFUSAL_WORDING[chosen], detail_text or "")
    send_letter(case, letter, case.requester_email, "case.refusal")
    return case


def end_open_pause(case: Case) -> None:
    """The case ended while a question was open: it will not be answered
    now, so the pause ends today and the clock keeps a due date (an open
    pause would leave the ended case stopped for ever)."""
    if case.open_pause is not None:
        case.open_pause.answered_on = max(today_or(None), case.open_pause.asked_on)
    refresh_clock(case)


def withdraw(case: Case, actor: User | None, *, asked_by: str | None = None) -> Case:
    """The requester withdrew the request. Staff recording it say how the
    requester asked (``WITHDRAWAL_CHANNELS``; ``FieldError`` on ``asked_by``
    otherwise), kept on the timeline. A confirmed request's requester is told
    it was done (and can object if they did not ask); an unconfirmed one's
    withdrawal has a letter of its own (``app.cases.unconfirmed``)."""
    if actor is not None and asked_by not in WITHDRAWAL_CHANNELS:
        raise FieldError("asked_by", "Say how the requester asked to withdraw the request")
    lifecycle.move(case, CaseStatus.WITHDRAWN, actor, data={"asked_by": asked_by} if asked_by else None)
    end_open_pause(case)
    case.closed_at = utcnow()
    if case.reference is not None:
        send_letter(
            case,
            letters.withdrawal_confirmed(case, WITHDRAWAL_CHANNELS[asked_by].lower() if asked_by else None),
            case.requester_email,
            "case.withdrawal_confirmed",
        )
    return case


def close(case: Case, actor: User) -> Case:
    """Close an answered (responded or refused) case: nothing more is
    expected of it. The retention periods of its copies and, years later, of
    its record run from now (``closed_at``, set by the move)."""
    lifecycle.move(case, CaseStatus.CLOSED, actor)
    return case


def advance(case: Case, actor: User, to: CaseStatus | str) -> Case:
    """One step of the work: gathering, in review, approved, executing, responded, closed."""
    target = checked_choice(CaseStatus, to, "status")
    if target not in ADVANCES:
        raise FieldError("status", f"use the dedicated action to move a case to {target.value}")
    lifecycle.move(case, target, actor)
    return case
