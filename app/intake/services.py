"""Turning a validated submission into a case: a thin adapter over
``app.cases.services.submit``, which owns the case rules (duplicates, the
clock, the lifecycle, audit), followed by the email confirmation code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from app.cases import services as cases
from app.cases.models import Case
from app.extensions import db
from app.intake.confirmation import send_case_code
from app.intake.schemas import MESSAGES, RequestSubmission
from app.intake.schools import REQUESTABLE_KINDS
from app.letters.services import absolute_url
from app.orgs.models import Organisation
from app.sources.validation import FieldError


def confirmation_link(token: str) -> str:
    return absolute_url("intake.confirm_link", token=token)


def submit_request(
    submission: RequestSubmission,
    *,
    ip: str | None,
    today: date | None = None,
    link_for: Callable[[str], str] = confirmation_link,
) -> Case:
    """Create the case (status ``submitted``) and email the confirmation code
    and link, all in the caller's transaction: the mail is an outbox row,
    delivered after the commit, so SMTP being down never loses the case.

    ``ip`` is accepted for abuse handling but deliberately not stored: it is
    personal data the case does not need, and rate limiting (in the view)
    works on it without keeping it.
    """
    del ip
    organisation = db.session.get(Organisation, submission.organisation_id)
    # Checked again here: the school may have been removed since the form
    # was validated, and the API may call this directly.
    if organisation is None or organisation.kind not in REQUESTABLE_KINDS:
        raise FieldError("organisation_id", MESSAGES["organisation_unknown"])
    case = cases.submit(
        organisation=organisation,
        request_type=submission.request_type,
        requester_name=submission.requester_name,
        requester_email=submission.requester_email,
        requester_relationship=submission.requester_relationship,
        subject_name=submission.subject_name,
        subject_dob=submission.subject_date_of_birth,
        subject_role=submission.subject_role,
        description=submission.description,
        subject_upn=submission.subject_upn,
        subject_staff_number=submission.subject_staff_number,
        requester_phone=submission.requester_phone,
        received_on=today,
    )
    send_case_code(case, link_for=link_for)
    return case
