"""Turning a validated submission into a case: a thin adapter over
``app.cases.services.submit``, which owns the case rules (duplicates, the
clock, the lifecycle, audit)."""

from __future__ import annotations

from datetime import date

from app.cases import services as cases
from app.cases.models import Case
from app.extensions import db
from app.intake.schemas import MESSAGES, RequestSubmission
from app.intake.schools import REQUESTABLE_KINDS
from app.orgs.models import Organisation
from app.sources.validation import FieldError


def submit_request(submission: RequestSubmission, *, ip: str | None, today: date | None = None) -> Case:
    """Create the case (status ``submitted``, in the caller's transaction).

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
    return cases.submit(
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
        received_on=today,
    )
