"""The requester's private status page, ``/request/status/<token>``: see the
request's progress, upload proof of identity or authority, answer a
question. The token is the only key, so the pages are never cached, send
their address to no other site (the app-wide Referrer-Policy same-origin:
no-referrer would make Flask-WTF refuse their form posts over HTTPS), and an
unknown token gets the same 404 whatever the reason.
"""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for

from app.cases import evidence
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case
from app.cases.references import looks_like_reference
from app.cases.services import MAX_TEXT
from app.cases.status_links import case_for_status_token
from app.db import utcnow
from app.extensions import db, limiter
from app.intake.status import EVIDENCE_CHOICES, send_new_status_link, status_view
from app.intake.uploads import UploadRefused
from app.intake.views import bp
from app.security import client_ip_key, configured_limit
from app.sources.validation import FieldError, check_email

_view_limit = limiter.limit(configured_limit("LIMIT_STATUS_IP", "120 per hour"), key_func=client_ip_key)
_change_limit = limiter.limit(
    configured_limit("LIMIT_STATUS_CHANGE_IP", "30 per hour"), key_func=client_ip_key, methods=["POST"]
)

# Page ids of the fields, for the error summary's links.
FILE_FIELD = "evidence_file"
KIND_FIELD = "evidence_kind"
ANSWER_FIELD = "answer"


def _case(token: str, *, lock: bool = False) -> Case:
    case = case_for_status_token(token, lock=lock)
    if case is None:
        abort(Response(render_template("intake/status_unknown.html"), 404))
    return case


def _page(case: Case, token: str, *, errors: list[tuple[str, str]] | None = None, values=None):
    errors = errors or []
    return render_template(
        "intake/status.html",
        view=status_view(case, utcnow().date()),
        token=token,
        errors=errors,
        field_errors=dict(errors),
        values=values or {},
        evidence_choices=EVIDENCE_CHOICES,
        file_field=FILE_FIELD,
        kind_field=KIND_FIELD,
        answer_field=ANSWER_FIELD,
        done=request.args.get("done"),
    )


_lost_limit = limiter.limit(
    configured_limit("LIMIT_STATUS_LINK_IP", "10 per hour"), key_func=client_ip_key, methods=["POST"]
)
REFERENCE_FIELD = "reference"
EMAIL_FIELD = "email"


@bp.route("/request/status", methods=["GET", "POST"])
@_lost_limit
def new_status_link():
    """Lost the link? Ask for a new one with the reference and the email
    address; the answer is the same whether or not they match a request."""
    values = {name: request.form.get(name, "").strip() for name in (REFERENCE_FIELD, EMAIL_FIELD)}
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        if not looks_like_reference(values[REFERENCE_FIELD].upper()):
            errors.append((REFERENCE_FIELD, "Enter your reference, like SAR-2026-000123"))
        try:
            check_email(values[EMAIL_FIELD], EMAIL_FIELD)
        except FieldError:
            errors.append(
                (EMAIL_FIELD, "Enter an email address in the correct format, like name@example.com")
            )
        if not errors:
            send_new_status_link(values[REFERENCE_FIELD], values[EMAIL_FIELD])
            db.session.commit()
            return render_template("intake/status_link_sent.html")
    return render_template("intake/status_lost.html", values=values, errors=errors, field_errors=dict(errors))


@bp.get("/request/status/<token>")
@_view_limit
def status_page(token: str):
    case = _case(token)
    db.session.commit()  # last_used_at
    return _page(case, token)


@bp.post("/request/status/<token>/evidence")
@_change_limit
def upload_evidence(token: str):
    # Locked: two tabs posting at once cannot both pass the checks.
    case = _case(token, lock=True)
    kind = request.form.get(KIND_FIELD, "")
    if not evidence.needs_authority(case):
        kind = kind or "identity"  # only one kind applies, so the question is not asked
    upload = request.files.get(FILE_FIELD)
    try:
        evidence.add_evidence(
            case,
            kind,
            upload.stream if upload and upload.filename else None,
            filename=upload.filename if upload else None,
            declared_type=upload.mimetype if upload else None,
        )
    except UploadRefused as refused:
        db.session.rollback()
        return _page(case, token, errors=[(FILE_FIELD, refused.message)], values={KIND_FIELD: kind})
    except FieldError as error:
        db.session.rollback()
        return _page(case, token, errors=[(KIND_FIELD, error.message)], values={KIND_FIELD: kind})
    db.session.commit()
    return redirect(url_for(".status_page", token=token, done="uploaded"))


@bp.post("/request/status/<token>/answer")
@_change_limit
def answer_question(token: str):
    # Locked: two tabs posting at once cannot both pass the checks.
    case = _case(token, lock=True)
    answer = request.form.get(ANSWER_FIELD, "")
    try:
        evidence.answer_clarification(case, answer)
    except FieldError:
        # Not the error's own wording, which is for staff: the page speaks to the requester.
        db.session.rollback()
        message = (
            "Enter your answer"
            if not answer.strip()
            else f"Your answer must be {MAX_TEXT:,} characters or fewer"
        )
        return _page(case, token, errors=[(ANSWER_FIELD, message)], values={ANSWER_FIELD: answer})
    except IllegalTransition:
        # Answered already (another tab, or staff resumed it meanwhile).
        db.session.rollback()
        return redirect(url_for(".status_page", token=token))
    db.session.commit()
    return redirect(url_for(".status_page", token=token, done="answered"))
