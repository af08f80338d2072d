"""Console case pages: one case with its clock and timeline, and the forms
for its actions. Views parse the form, call one service and redirect (or
show the page again with an error summary)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask_wtf import FlaskForm

from app.accounts import web
from app.accounts.models import User
from app.accounts.scoping import NotInScope
from app.audit.services import record
from app.blobs.services import FileDestroyed
from app.blobs.web import attachment
from app.cases import assignment, clock_changes, evidence, identity
from app.cases import services as case_services
from app.cases.clock_inputs import clock_summary
from app.cases.lifecycle import IllegalTransition, allowed_moves
from app.cases.models import Case
from app.cases.queries import get_case_by_id
from app.cases.record_retention import retention_years
from app.console.actions import EXPIRED, act, capital
from app.console.case_forms import FORMS, empty_forms
from app.console.services import case_overview, live_progress, progress_message, source_lines
from app.console.views import bp
from app.exports.retention import retention_days as pack_retention_days
from app.extensions import db
from app.mail import services as mail
from app.mail.retention import retention_days as mail_retention_days
from app.sources.validation import FieldError

# How often the case page's script asks for progress while a job runs.
POLL_SECONDS = 2


def signed_in_user() -> User:
    user = web.current_user()
    assert user is not None  # guaranteed by login_required
    return user


def case_or_404(case_id: uuid.UUID) -> Case:
    """The case among the signed-in user's organisations, or 404."""
    try:
        return get_case_by_id(signed_in_user(), case_id)
    except NotInScope:
        abort(404)


def file_destroyed_page(
    case: Case, gone: FileDestroyed, anchor: str, still_known: str, endpoint: str = "console.case"
):
    """410 for a file shredded under a retention rule, saying when and why,
    with a way back to where its link was."""
    return render_template(
        "console/file_destroyed.html",
        case=case,
        message=str(gone),
        still_known=still_known,
        back_url=url_for(endpoint, case_id=case.id) + anchor,
        back_label=f"Case {case.reference}",
    ), 410


def _page(case: Case, forms: dict[str, FlaskForm] | None = None, errors=None, status: int = 200):
    overview = case_overview(case)
    return render_template(
        "console/case.html",
        case=case,
        clock=clock_summary(case, case_services.uk_today()),
        overview=overview,
        sources=source_lines(overview.sources),
        progress_message=progress_message(overview),
        poll_seconds=POLL_SECONDS,
        record_years=retention_years(),
        emails=mail.case_messages(case.id),
        mail_label=mail.category_label,
        mail_days=mail_retention_days(),
        pack_days=pack_retention_days(),
        send_again_form=FlaskForm(prefix="send-again"),
        forms={**empty_forms(), **(forms or {})},
        allowed={status.value for status in allowed_moves(case)},
        staff=assignment.assignable_staff() if assignment.can_assign(signed_in_user()) else None,
        errors=errors or [],
    ), status


@bp.get("/cases/<uuid:case_id>")
@web.login_required
def case(case_id: uuid.UUID):
    found = case_or_404(case_id)
    record(
        "case.viewed", actor_type="user", actor_id=signed_in_user().id, object_type="case", object_id=found.id
    )
    db.session.commit()
    return _page(found)


@bp.get("/cases/<uuid:case_id>/progress")
@web.login_required
def case_progress(case_id: uuid.UUID):
    """The live part of the case page as JSON, for its script (same scoping
    as the page; statuses and counts only, so not audited as a look)."""
    response = jsonify(live_progress(case_or_404(case_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cases/<uuid:case_id>/evidence/<uuid:evidence_id>")
@web.login_required
def case_evidence(case_id: uuid.UUID, evidence_id: uuid.UUID):
    found = case_or_404(case_id)
    try:
        item = evidence.evidence_for_download(found, evidence_id, signed_in_user())
    except evidence.EvidenceDestroyed as gone:
        return file_destroyed_page(
            found,
            gone,
            "#evidence-heading",
            "The case record still says which kind of evidence arrived and when.",
        )
    if item is None:
        abort(404)
    db.session.commit()  # the audit event, before the bytes go out
    return attachment(
        item.blob_id, filename=item.filename, content_type=item.blob.content_type, size=item.blob.size
    )


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise FieldError("assignee_id", "choose a member of the company's team") from None


def _blank_none(value: Any) -> Any:
    return value or None


_ACTIONS: dict[str, Callable[[Case, User, Any], Any]] = {
    "identity": lambda case, user, form: identity.decide_identity(
        case,
        user,
        accepted=form.decision.data == "accept",
        reason=form.reason.data,
        method=_blank_none(form.method.data),
        identity_received_on=form.identity_received_on.data,
        authority_evidence=_blank_none(form.authority_evidence.data),
        authority_received_on=form.authority_received_on.data,
    ),
    "pause": lambda case, user, form: clock_changes.pause(
        case, user, reason=form.reason.data, question=form.question.data, asked_on=form.asked_on.data
    ),
    "resume": lambda case, user, form: clock_changes.resume(case, user, answered_on=form.answered_on.data),
    "extend": lambda case, user, form: clock_changes.extend(case, user, reason=form.reason.data),
    "refuse": lambda case, user, form: case_services.refuse(
        case, user, reason=form.reason.data, detail=form.detail.data
    ),
    "withdraw": lambda case, user, form: case_services.withdraw(case, user, asked_by=form.asked.data),
    "close": lambda case, user, form: case_services.close(case, user),
    "request_identity": lambda case, user, form: evidence.request_identity(case, user),
    "assign": lambda case, user, form: assignment.assign_by_id(
        case, user, _uuid_or_none(form.assignee_id.data)
    ),
}

_DONE = {
    "identity": "Identity decision recorded.",
    "pause": "Question sent; the clock is paused.",
    "resume": "Answer recorded; the clock runs again.",
    "extend": "Extension recorded and the notice sent.",
    "refuse": "Refusal recorded and sent.",
    "withdraw": "The request is recorded as withdrawn.",
    "close": "The case is closed.",
    "request_identity": "Proof of identity asked for; the email has an upload link.",
    "assign": "Assignment saved.",
}


def _field_errors(form: FlaskForm, name: str, exc: FieldError) -> list[tuple[str, str]]:
    """Every message of the service's refusal as (field id, message), in
    the form's order, with those of no field of the form under its heading."""
    messages = exc.errors
    shown = [(field.id, capital(text)) for field in form for text in messages.pop(field.short_name, [])]
    return shown + [(f"{name}-heading", capital(text)) for texts in messages.values() for text in texts]


def _action_view(name: str):
    def view(case_id: uuid.UUID):
        found = case_or_404(case_id)
        form = FORMS[name](prefix=name)
        if not form.validate_on_submit():
            errors = [(field.id, error) for field in form if field.errors for error in field.errors]
            if not errors:  # a missing or stale CSRF token only
                errors = [(f"{name}-heading", "The form expired. Try again.")]
            return _page(found, {name: form}, errors, 422)
        try:
            _ACTIONS[name](found, signed_in_user(), form)
        except FieldError as exc:
            db.session.rollback()
            return _page(case_or_404(case_id), {name: form}, _field_errors(form, name, exc), 422)
        except IllegalTransition as exc:
            db.session.rollback()
            return _page(
                case_or_404(case_id), {name: form}, [(f"{name}-heading", str(exc).capitalize())], 409
            )
        db.session.commit()
        flash(_DONE[name], "success")
        return redirect(url_for("console.case", case_id=found.id))

    view.__name__ = f"case_{name}"
    return view


@bp.post("/cases/<uuid:case_id>/emails/<uuid:message_id>/send-again")
@web.login_required
def case_email_send_again(case_id: uuid.UUID, message_id: uuid.UUID):
    row = f"email-{message_id}"
    return act(
        case_id,
        lambda case: mail.send_again(case.id, message_id, signed_in_user().id),
        "The email is queued to be sent again.",
        load=case_or_404,
        endpoint="console.case",
        form=FlaskForm(prefix="send-again"),
        expired=lambda case: _page(case, errors=[(row, EXPIRED)], status=422),
        refusals={
            mail.NotSendable: lambda case, exc: _page(case, errors=[(row, capital(str(exc)))], status=409)
        },
        not_found=(LookupError,),
        anchor="emails-heading",
    )


for _name in _ACTIONS:
    bp.add_url_rule(
        f"/cases/<uuid:case_id>/{_name}",
        endpoint=f"case_{_name}",
        view_func=web.login_required(_action_view(_name)),
        methods=["POST"],
    )
