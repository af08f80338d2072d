"""Confirming the email address: ``/request/<case_id>/confirm`` (type the
6-digit code), ``/request/<case_id>/confirm/resend`` (a new code) and
``/request/confirm/<token>`` (the emailed link).

The pages say nothing about the request beyond "enter the code we sent";
the reference is shown once, in the answer to the successful attempt. The
rules are in ``app.intake.confirmation``; these views only route to them.
"""

from __future__ import annotations

import uuid

from flask import abort, redirect, render_template, request, url_for

from app.cases.models import Case
from app.cases.status_links import mint_status_link
from app.extensions import db, limiter
from app.intake import confirmation
from app.intake.codes import CODE_LIFETIME
from app.intake.confirmation import Outcome, ResendTooSoon
from app.intake.services import confirmation_link
from app.intake.views import bp
from app.security import client_ip_key, configured_limit

CODE_FIELD = "code"
MESSAGES = {
    Outcome.MISSING: "Enter the 6-digit code we sent to your email",
    # Deliberately vague about how many tries are left.
    Outcome.WRONG: "The code is not correct",
}

_code_limit = limiter.limit(
    configured_limit("LIMIT_CONFIRM_IP", "30 per hour"), key_func=client_ip_key, methods=["POST"]
)
_link_limit = limiter.limit(configured_limit("LIMIT_CONFIRM_LINK_IP", "30 per hour"), key_func=client_ip_key)


def _case(case_id: uuid.UUID, *, lock: bool = False) -> Case:
    # Locked when it may change, so a confirmation and the withdrawal job
    # (or two confirmations) cannot both act on the same request.
    case = db.session.get(Case, case_id, with_for_update=lock)
    if case is None:
        abort(404)
    return case


def _page(case: Case, outcome: Outcome, *, errors: list[tuple[str, str]] | None = None):
    errors = errors or []
    return render_template(
        "intake/confirm.html",
        case_id=case.id,
        outcome=outcome,
        errors=errors,
        field_error=next((message for field, message in errors if field == CODE_FIELD), None),
        sent=request.args.get("sent") == "1",
        lifetime_minutes=int(CODE_LIFETIME.total_seconds() // 60),
    )


def _confirmed(case: Case):
    # A link of its own (the acknowledgement email carries another), so the
    # person can go straight on to the status page from here.
    status_url = mint_status_link(case)
    db.session.commit()
    return render_template("intake/confirmed.html", reference=case.reference, status_url=status_url)


@bp.get("/request/<uuid:case_id>/confirm")
def confirm_form(case_id: uuid.UUID):
    case = _case(case_id)
    return _page(case, confirmation.status_of(case))


@bp.post("/request/<uuid:case_id>/confirm")
@_code_limit
def confirm_code(case_id: uuid.UUID):
    case = _case(case_id, lock=True)
    outcome = confirmation.confirm_with_code(case, request.form.get(CODE_FIELD, ""))
    db.session.commit()
    if outcome is Outcome.CONFIRMED:
        return _confirmed(case)
    if outcome in MESSAGES:
        # Both show the form again, with the message beside the box.
        return _page(case, Outcome.AWAITING, errors=[(CODE_FIELD, MESSAGES[outcome])])
    return _page(case, outcome)


@bp.post("/request/<uuid:case_id>/confirm/resend")
@_code_limit
def resend_code(case_id: uuid.UUID):
    case = _case(case_id, lock=True)
    status = confirmation.status_of(case)
    if status in (Outcome.ALREADY_CONFIRMED, Outcome.WITHDRAWN):
        return _page(case, status)
    try:
        confirmation.send_case_code(case, link_for=confirmation_link)
    except ResendTooSoon as too_soon:
        db.session.rollback()
        message = f"Wait {too_soon.wait_seconds} seconds, then ask for a new code"
        return _page(case, status, errors=[("resend", message)])
    db.session.commit()
    return redirect(url_for(".confirm_form", case_id=case.id, sent="1"))


@bp.get("/request/confirm/<token>")
@_link_limit
def confirm_link(token: str):
    case, outcome = confirmation.confirm_with_link(token)
    db.session.commit()
    if case is not None and outcome is Outcome.CONFIRMED:
        return _confirmed(case)
    if case is None:
        return render_template("intake/confirm_link_unknown.html"), 404
    return _page(case, outcome)
