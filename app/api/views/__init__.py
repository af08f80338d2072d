"""The API blueprint, ``/api/v1``. One module per resource; importing them
registers their operations."""

from flask import Blueprint, Response

from app.api.errors import register_blueprint_handlers

bp = Blueprint("api", __name__, url_prefix="/api/v1")
register_blueprint_handlers(bp)


@bp.after_request
def _no_store(response: Response) -> Response:
    # API answers carry personal data and, once, a token: never cache them.
    response.headers["Cache-Control"] = "no-store"
    return response


from app.api.views import (  # noqa: E402, F401  (registers routes)
    case_emails,
    cases,
    collect,
    consent_withdrawal,
    consents,
    erasure,
    me,
    organisation_bases,
    organisations,
    packs,
    rectification,
    register,
    requests,
    restriction,
    review,
    support_grants,
    tokens,
    users,
)
