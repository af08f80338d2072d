"""The letters a case sends, rendered from ``sar_templates/letters`` by
``app.letters.services.render_letter``: one small function per letter, each
returning ``Letter(subject, body, html_body)`` with the context keys the
``LETTERS`` registry asks for.

Subjects carry the reference only, never personal details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from app.cases import clock
from app.cases.clock_inputs import clock_for
from app.cases.models import Case, Relationship
from app.db import utcnow
from app.letters.services import absolute_url, render_letter

if TYPE_CHECKING:
    from app.recipients.told import RecipientsTold

# Reminders go to the assignee and the school's contact in one message.
REMINDER_RECIPIENT = "data protection team"


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str
    html_body: str | None = None


def _render(name: str, context: dict[str, Any]) -> Letter:
    rendered = render_letter(name, context)
    return Letter(rendered.subject, rendered.text, rendered.html)


def _case_url(case: Case) -> str:
    return absolute_url("console.case", case_id=case.id)


def acknowledgement(case: Case, due: date | None, status_url: str | None = None) -> Letter:
    return _render(
        "acknowledgement",
        {
            "requester_name": case.requester_name,
            "reference": case.reference,
            "request_type": case.request_type,
            "organisation_name": case.organisation.name,
            "received_on": case.received_on,
            "due_on": due,
            # Sent on confirmation, before anyone has decided on identity.
            "needs_identity": case.identity_method is None,
            "status_url": status_url,
        },
    )


def school_notification(case: Case) -> Letter:
    return _render(
        "school_notification",
        {
            "contact_name": case.organisation.dp_contact_name,
            "organisation_name": case.organisation.name,
            "reference": case.reference,
            "request_type": case.request_type,
            "subject_role": case.subject_role,
            "received_on": case.received_on,
            "due_on": clock_for(case).due,
            "case_url": _case_url(case),
        },
    )


def identity_request(case: Case, status_url: str, *, needs_authority: bool) -> Letter:
    return _render(
        "identity_request",
        {
            "requester_name": case.requester_name,
            "reference": case.reference,
            "needs_authority": needs_authority,
            "status_url": status_url,
        },
    )


def identity_accepted(case: Case) -> Letter:
    """Identity (and authority) accepted: the clock runs, and the date the
    response is due, as the clock now says (the identity-request letter and
    the acknowledgement promised it)."""
    result = clock_for(case)
    return _render(
        "identity_accepted",
        {
            "requester_name": case.requester_name,
            "reference": case.reference,
            "for_someone_else": case.requester_relationship is not Relationship.SELF,
            "received_on": case.received_on,
            "start_on": result.start,
            "due_on": result.due,
        },
    )


def status_link(case: Case, status_url: str) -> Letter:
    return _render(
        "status_link",
        {"requester_name": case.requester_name, "reference": case.reference, "status_url": status_url},
    )


def clarification_request(case: Case, question: str, status_url: str | None = None) -> Letter:
    pause = case.open_pause
    return _render(
        "clarification_request",
        {
            "requester_name": case.requester_name,
            "reference": case.reference,
            "question": question,
            "asked_on": pause.asked_on if pause else utcnow().date(),
            "status_url": status_url,
        },
    )


def clock_restarted(case: Case, answered_on: date, due: date) -> Letter:
    return _render(
        "clock_restarted",
        {
            "requester_name": case.requester_name,
            "reference": case.reference,
            "answered_on": answered_on,
            # The day the answer arrived is still a paused day (DESIGN §5).
            "restarts_on": answered_on + timedelta(days=1),
            "due_on": due,
        },
    )


def extension_notice(case: Case, reason: str, due: date | None) -> Letter:
    return _render(
        "extension_notice",
        {
            "requester_name": case.requester_name,
            "reference": case.reference,
            "reasons": reason,
            "original_due_on": clock_for(case).original_due,
            "new_due_on": due,
        },
    )


def refusal(case: Case, reason_text: str, detail: str) -> Letter:
    return _render(
        "refusal",
        {
            "requester_name": case.requester_name,
            "reference": case.reference,
            "reason": reason_text,
            "organisation_name": case.organisation.name,
            "detail": detail,
        },
    )


def erasure_done(
    case: Case,
    *,
    erased_on: date,
    erased: list[str],
    kept: list[dict[str, str]],
    backups_clear_on: date,
    recipients: RecipientsTold | None,
) -> Letter:
    """The answer to an erasure request: what was erased and what was kept,
    with why (the certificate's lines: stores, categories, counts, never
    record content), and who else was told (Art 19): ``recipients``, from
    ``app.recipients.told.letter_recipients``, None when nothing was erased."""
    return _render(
        "erasure_done",
        {
            "requester_name": case.requester_name,
            "reference": case.reference,
            "organisation_name": case.organisation.name,
            "erased_on": erased_on,
            "erased": erased,
            "kept": kept,
            "backups_clear_on": backups_clear_on,
            "recipients": recipients,
        },
    )


def rectification_done(
    case: Case,
    *,
    corrected_on: date,
    corrections: list[str],
    not_corrected: list[dict[str, str]],
    recipients: RecipientsTold | None,
) -> Letter:
    """The answer to a rectification request: the fields corrected and those
    not, with why, and who else was told (Art 19, as for ``erasure_done``).
    No values: the stored confirmation letter has them, and an email is not
    the place for them."""
    return _render(
        "rectification_done",
        {
            "requester_name": case.requester_name,
            "reference": case.reference,
            "organisation_name": case.organisation.name,
            "corrected_on": corrected_on,
            "corrections": corrections,
            "not_corrected": not_corrected,
            "recipients": recipients,
        },
    )


def withdrawal_confirmed(case: Case, asked_by: str | None = None) -> Letter:
    """``asked_by``: how they asked, as the letter says it ("by phone")."""
    context = {
        "requester_name": case.requester_name,
        "reference": case.reference,
        "form_url": absolute_url("intake.request_form"),
    }
    return _render("withdrawal_confirmed", {**context, "asked_by": asked_by} if asked_by else context)


def unconfirmed_withdrawal(case: Case, days: int) -> Letter:
    """The address was never confirmed: only what the requester typed (their
    name) and a link to the form. An unconfirmed request has no reference,
    and the address may not even be the requester's."""
    return _render(
        "unconfirmed_withdrawal",
        {
            "requester_name": case.requester_name,
            "days": days,
            "form_url": absolute_url("intake.request_form"),
        },
    )


def reminder(
    case: Case,
    threshold: str,
    due: date,
    *,
    today: date | None = None,
    internal_target: date | None = None,
    internal_missed: bool = False,
) -> Letter:
    """A due-date reminder (``app.cases.reminders``). ``threshold`` ("7", "3",
    "1" or "overdue") is the statutory date's reminder that chose to send
    it, or "" when only the internal target's did; the letter states the
    actual working days left, which a missed run can make fewer, and always
    the statutory date ``due``. ``internal_target`` is given when the
    message is (also) about the company's internal target: before it, or
    ``internal_missed`` once it has passed."""
    today = today or utcnow().date()
    nation = case.organisation.nation.value
    left = clock.working_days_between(today, due, nation)
    if threshold == "overdue":
        left = min(left, -1)
    context: dict[str, Any] = {
        "recipient_name": REMINDER_RECIPIENT,
        "reference": case.reference,
        "organisation_name": case.organisation.name,
        "due_on": due,
        "working_days_left": left,
        "case_url": _case_url(case),
        "about_statutory": bool(threshold),
    }
    if internal_target is not None:
        context |= {
            "internal_target_on": internal_target,
            "internal_days_left": clock.working_days_between(today, internal_target, nation),
            "internal_today": internal_target == today,
            "internal_missed": internal_missed,
        }
    return _render("reminder", context)
