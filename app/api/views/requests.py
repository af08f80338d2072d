"""``/requests``: the public door for a data subject's request, validated by
the same schema as the web form (``app.intake.schemas``)."""

from __future__ import annotations

from typing import Any

from flask import request

from app.api.errors import ApiError
from app.api.routing import operation
from app.api.schemas import RequestReceivedSchema
from app.api.views import bp
from app.extensions import db, limiter
from app.intake import services
from app.intake.schemas import RequestSubmission, RequestSubmissionSchema
from app.letters.services import absolute_url
from app.security import client_ip_key, configured_limit
from app.sources.validation import FieldError

CONFIRMATION_MESSAGE = "We have emailed a 6-digit code to confirm the request."

# The same per-address limit as the web form (its own counter).
_submit_limit = limiter.limit(configured_limit("LIMIT_INTAKE_IP", "10 per hour"), key_func=client_ip_key)


@operation(
    bp,
    "/requests",
    "POST",
    summary="Make a rights request (public)",
    tag="requests",
    body=RequestSubmissionSchema,
    response=RequestReceivedSchema,
    status=201,
    public=True,
)
@_submit_limit
def create_request(body: RequestSubmission) -> dict[str, Any]:
    """A data subject's request (access, erasure, ...) to a school or
    nursery. No token is needed; the number of requests per client address
    is limited (429 when exceeded). The rules and messages are those of the
    web form: `organisation_id` must be a school or nursery (not a trust),
    `subject_date_of_birth` is `YYYY-MM-DD` and in the past, `subject_upn`
    only for pupils and with a valid check letter. A `portability` request
    may name the organisation to send the data to (`destination_name` and
    `destination_email`, both or neither); any other request type naming
    one is refused with a message on each field given, rather than the
    destination being silently dropped.

    The case is created with status `submitted` and a 6-digit code is
    emailed to `requester_email`. The answer has no reference: the SAR
    reference (e.g. `SAR-2026-000123`) is assigned only when the requester
    confirms the code at `confirm_url`, and it comes in the acknowledgement
    email then."""
    try:
        case = services.submit_request(body, ip=request.remote_addr)
    except FieldError as error:
        db.session.rollback()
        raise ApiError(422, fields={error.field: [error.message]}) from None
    db.session.commit()
    return {
        "id": case.id,
        "status": "submitted",
        "confirm_url": absolute_url("intake.confirm_form", case_id=case.id),
        "message": CONFIRMATION_MESSAGE,
    }
