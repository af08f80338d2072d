"""The public request form: ``/`` (the form; the old ``/request`` address
redirects there), ``/request/schools`` (finding the school without
JavaScript) and ``/request/sent``. The email
confirmation pages are in ``app.intake.confirm_views`` (same blueprint).

Errors re-render the form with status 200 and everything typed kept, as
GOV.UK services do (and as the staff sign-in pages here do); the API answers
422 for the same input. Pages holding what someone typed are never cached.
"""

from __future__ import annotations

import logging
import secrets

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from app.extensions import db, limiter
from app.intake import choices, services
from app.intake.forms import (
    CHOOSE_SCHOOL,
    DOB,
    DOB_PARTS,
    HONEYPOT,
    SCHOOL_QUERY,
    FormResult,
    no_school_found,
    parse_request_form,
    school_from_query,
    typed_values,
)
from app.intake.schemas import DESCRIPTION_MAX
from app.intake.schools import MIN_QUERY, normalise_query, search_schools
from app.security import client_ip_key, configured_limit, too_many_attempts, wait_hint
from app.sources.validation import FieldError

log = logging.getLogger(__name__)

bp = Blueprint("intake", __name__)


def accepted(response: Response) -> bool:
    """Only a submission the form took counts towards the limit: a parent
    correcting a mistyped date is not sending another request."""
    return response.status_code in (302, 303)


_submit_limit = limiter.limit(
    configured_limit("LIMIT_INTAKE_IP", "10 per hour"),
    key_func=client_ip_key,
    methods=["POST"],
    deduct_when=accepted,
)
_search_limit = limiter.limit(
    configured_limit("LIMIT_SCHOOL_SEARCH_IP", "120 per minute"), key_func=client_ip_key
)


# app.extensions key of the blank form, rendered once (see _blank_form), and
# how many mount paths (SCRIPT_NAME) it is kept for.
_BLANK_FORM = "rightsdesk.intake.blank_form"
_BLANK_FORM_PREFIXES = 4

# Field names of app.cases.services errors -> ids of the fields on the page.
_CASE_FIELDS = {"subject_dob": f"{DOB}-day", "subject_name": "subject_first_name"}


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _render_form(result: FormResult) -> str:
    return render_template("intake/request_form.html", **_form_context(result))


def _form_context(result: FormResult) -> dict[str, object]:
    field_errors: dict[str, str] = {}
    for field_id, message in result.errors:
        field_errors.setdefault(field_id.partition("-")[0], message)
    # Highlight only the boxes at fault: the missing ones for "must include
    # a day and month", the year for "Year must include 4 numbers"; all
    # three for "a real date" or "in the past".
    dob_values = {part: result.values.get(f"{DOB}-{part}", "") for part in DOB_PARTS}
    dob_message = field_errors.get(DOB, "")
    dob_parts: list[str] = []
    if dob_message.startswith("Date of birth must include"):
        dob_parts = [part for part in DOB_PARTS if not dob_values[part].strip()]
    elif dob_message.startswith("Year"):
        dob_parts = ["year"]
    return dict(
        result=result,
        values=result.values,
        errors=result.errors,
        field_errors=field_errors,
        dob_values=dob_values,
        dob_error_parts=dob_parts,
        choices=choices,
        description_max=DESCRIPTION_MAX,
        honeypot=HONEYPOT,
        school_query_name=SCHOOL_QUERY,
    )


@bp.get("/")
def request_form():
    school = school_from_query(request.args.get("organisation_id"))
    if school is None:
        return _blank_form()
    result = FormResult(school=school, values={"organisation_id": str(school.id)})
    return _render_form(result)


def _blank_form() -> str:
    """The form as everyone first sees it: the same page for every visitor
    but for the CSRF token, so it is rendered once per process (around a
    placeholder) and only the token is put in on each request. Its links
    depend on nothing else but the path the app is mounted at, which keys
    the cache (a few entries at most). Rendered afresh whenever templates
    may change under a running app (auto-reload)."""
    app = current_app
    if app.jinja_env.auto_reload:
        return _render_form(FormResult(values={"organisation_id": ""}))
    pages: dict[str, tuple[str, ...]] = app.extensions.setdefault(_BLANK_FORM, {})
    parts = pages.get(request.script_root)
    if parts is None:
        marker = f"csrf-placeholder-{secrets.token_hex(16)}"
        page = render_template(
            "intake/request_form.html",
            **_form_context(FormResult(values={"organisation_id": ""})),
            csrf_token=lambda: marker,
        )
        parts = tuple(page.split(marker))
        if len(pages) < _BLANK_FORM_PREFIXES:
            pages[request.script_root] = parts
    return str(escape(generate_csrf())).join(parts)


@bp.get("/request")
def old_form_address():
    return redirect(url_for(".request_form", **request.args), code=301)


@bp.post("/")
@_submit_limit
def submit():
    result = parse_request_form(request.form)
    if result.is_spam:
        # Looks like success to the bot; nothing is stored or sent.
        log.info("intake: honeypot filled; submission dropped")
        return redirect(url_for(".sent"))
    if result.submission is None:
        return _render_form(result)
    try:
        case = services.submit_request(result.submission, ip=request.remote_addr)
    except FieldError as error:
        db.session.rollback()
        # The schema checks the same rules first, so this is a rare race
        # (e.g. the school removed meanwhile); point at the nearest field.
        result.errors = [(_CASE_FIELDS.get(error.field, error.field), error.message)]
        return _render_form(result)
    case_id = case.id  # read before the commit expires it: no reload just for the id
    db.session.commit()
    return redirect(url_for(".confirm_form", case_id=case_id))


@bp.errorhandler(429)
def _too_many(error):
    """The form again, with everything typed kept and how long to wait; any
    other page of the blueprint gets the plain 429 page."""
    if request.endpoint != "intake.submit":
        return too_many_attempts(error)
    result = FormResult(values=typed_values(request.form))
    result.errors = [
        (
            "request_type",
            f"Too many requests have been sent from your network in the last hour. {wait_hint()} "
            "What you typed is kept below.",
        )
    ]
    return _render_form(result), 429


@bp.get("/request/sent")
def sent():
    return render_template("intake/sent.html")


@bp.get("/request/schools")
@_search_limit
def schools():
    query = normalise_query(request.args.get("q"))
    searched = "q" in request.args
    matches = search_schools(query) if len(query) >= MIN_QUERY else []
    error = None
    if searched and len(query) < MIN_QUERY:
        error = "Enter at least 2 letters of the school's name"
    elif searched and not matches:
        error = no_school_found(query)
    chosen_error = CHOOSE_SCHOOL if request.args.get("choose") == "1" else None
    return render_template(
        "intake/schools.html",
        query=query,
        searched=searched,
        matches=matches,
        error=error,
        chosen_error=chosen_error,
    )


@bp.get("/request/schools/choose")
def choose_school():
    """The results page's "Continue": on to the form with the school chosen,
    or back to the results if none was selected."""
    school = school_from_query(request.args.get("organisation_id"))
    if school is None:
        return redirect(url_for(".schools", q=request.args.get("q", ""), choose="1"))
    return redirect(url_for(".request_form", organisation_id=str(school.id)))


@bp.app_template_filter("school_item")
def school_item(school) -> dict[str, str]:
    """A school as a radio item: its name, and its URN as the hint so two
    schools of the same name can be told apart."""
    return {"value": str(school.id), "label": school.name, "hint": f"URN {school.urn}" if school.urn else ""}


# Register the confirmation and status routes on ``bp``; imported last because they use it.
from app.intake import confirm_views, status_views  # noqa: E402, F401
