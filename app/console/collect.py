"""Console pages for finding the subject's records and gathering them.

"Find the person" lists the candidate records with their scores, reasons
and summaries, each with confirm and reject buttons, and starts the gather;
the gather page shows every source's progress (refreshing itself while work
is queued or running); the items page lists what was collected by category.
Looking at candidates or items is audited and access-logged by the service.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, InputRequired, Regexp

from app.accounts import web
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseStatus
from app.collect import looks, nothing_held, services
from app.collect.reopen import can_reopen
from app.console.cases import case_or_404 as _case
from app.console.cases import signed_in_user as _user
from app.console.views import bp
from app.extensions import db
from app.sources.validation import FieldError

_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# Seconds between refreshes of the gather page while sources are running.
REFRESH_SECONDS = 5


class ActionForm(FlaskForm):
    """A button that needs nothing but the CSRF token."""


class DecideForm(FlaskForm):
    candidate_id = HiddenField(validators=[InputRequired(), Regexp(_UUID)])
    decision = HiddenField(validators=[InputRequired(), AnyOf(["confirm", "reject"])])


class RetryForm(FlaskForm):
    source = HiddenField(validators=[InputRequired(), Regexp(r"^[a-z][a-z0-9_]{0,39}$")])


def _candidates_page(
    case: Case,
    errors: list[tuple[str, str]] | None = None,
    status: int = 200,
    nothing_held_error: str | None = None,
):
    candidates = looks.view_candidates(_user(), case)
    db.session.commit()
    open_case = case.status is CaseStatus.OPEN
    page = render_template(
        "console/collect/candidates.html",
        case=case,
        candidates=candidates,
        can_decide=open_case,
        gathered=bool(services.runs_for(case)),
        searched=open_case and nothing_held.last_searched_on(case) is not None,
        nothing_held_problem=nothing_held.problem(case) if open_case else None,
        nothing_held_error=nothing_held_error,
        form=ActionForm(),
        errors=errors or [],
    )
    return page, status


@bp.get("/cases/<uuid:case_id>/candidates")
@web.login_required
def case_candidates(case_id: uuid.UUID):
    return _candidates_page(_case(case_id))


def _run(case_id: uuid.UUID, form: FlaskForm, action: Any, done: str, back: str, heading: str):
    """Validate the form, run one service action, commit and redirect; or
    show the candidates page again with the problem."""
    found = _case(case_id)
    if not form.validate_on_submit():
        return _candidates_page(found, [(heading, "The form expired or was incomplete. Try again.")], 422)
    try:
        action(found)
    except FieldError as exc:
        db.session.rollback()
        return _candidates_page(_case(case_id), [(heading, exc.message[:1].upper() + exc.message[1:])], 422)
    except IllegalTransition as exc:
        db.session.rollback()
        return _candidates_page(_case(case_id), [(heading, str(exc).capitalize())], 409)
    except LookupError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(back, case_id=case_id), code=303)


@bp.post("/cases/<uuid:case_id>/candidates/search")
@web.login_required
def case_candidates_search(case_id: uuid.UUID):
    user = _user()
    return _run(
        case_id,
        ActionForm(),
        lambda case: services.propose_candidates(case, user),
        "The records were searched.",
        "console.case_candidates",
        "candidates-heading",
    )


@bp.post("/cases/<uuid:case_id>/candidates/decide")
@web.login_required
def case_candidate_decide(case_id: uuid.UUID):
    user = _user()
    form = DecideForm()
    return _run(
        case_id,
        form,
        lambda case: services.decide_candidate(
            case, uuid.UUID(form.candidate_id.data), user, form.decision.data == "confirm"
        ),
        "Decision recorded.",
        "console.case_candidates",
        "candidates-heading",
    )


@bp.post("/cases/<uuid:case_id>/gather")
@web.login_required
def case_gather_start(case_id: uuid.UUID):
    user = _user()
    return _run(
        case_id,
        ActionForm(),
        lambda case: services.start_gather(case, user),
        "Gathering has started.",
        "console.case_gather",
        "gather-heading",
    )


@bp.post("/cases/<uuid:case_id>/nothing-held")
@web.login_required
def case_nothing_held(case_id: uuid.UUID):
    user = _user()
    form = ActionForm()
    if form.validate_on_submit() and request.form.get("checked") != "yes":
        # The letter cannot be taken back: the DPO says they checked first.
        missing = "Tick to confirm you checked every record found and none is the subject's"
        return _candidates_page(_case(case_id), [("checked", missing)], 422, nothing_held_error=missing)
    return _run(
        case_id,
        form,
        lambda case: nothing_held.answer(case, user),
        "The requester has been told we hold no personal data about the subject, and the school asked "
        "to check its other records by the due date.",
        "console.case",
        "nothing-held-heading",
    )


def gather_page(case: Case, errors: list[tuple[str, str]] | None = None, status: int = 200, **extra: Any):
    """The gather page: every source's progress, refreshing itself while
    work is queued or running. With ``errors`` (a form on it refused) it is
    shown with its error summary and ``status``, and does not refresh, which
    would lose them; ``extra`` goes to the template (a form's own error)."""
    progress = looks.gather_progress(case)
    refresh = REFRESH_SECONDS if progress.active and not errors else None
    response = make_response(
        render_template(
            "console/collect/gather.html",
            case=case,
            progress=progress,
            refresh=refresh,
            form=ActionForm(),
            can_reopen=can_reopen(case),
            errors=errors or [],
            **extra,
        ),
        status,
    )
    if refresh:
        # The Refresh header does what <meta http-equiv="refresh"> would,
        # with no script (the CSP forbids inline ones) and no layout change.
        response.headers["Refresh"] = str(refresh)
    return response


@bp.get("/cases/<uuid:case_id>/gather")
@web.login_required
def case_gather(case_id: uuid.UUID):
    return gather_page(_case(case_id))


@bp.post("/cases/<uuid:case_id>/gather/retry")
@web.login_required
def case_gather_retry(case_id: uuid.UUID):
    found = _case(case_id)
    form = RetryForm()
    if not form.validate_on_submit():
        flash("The form expired. Try again.", "error")
        return redirect(url_for("console.case_gather", case_id=found.id), code=303)
    try:
        services.retry_source(found, _user(), form.source.data)
    except (IllegalTransition, LookupError) as exc:
        db.session.rollback()
        flash(str(exc).capitalize() if isinstance(exc, IllegalTransition) else "No such source.", "error")
        return redirect(url_for("console.case_gather", case_id=case_id), code=303)
    db.session.commit()
    flash("The source was queued again.", "success")
    return redirect(url_for("console.case_gather", case_id=case_id), code=303)


@bp.post("/cases/<uuid:case_id>/gather/complete")
@web.login_required
def case_gather_complete(case_id: uuid.UUID):
    found = _case(case_id)
    back = redirect(url_for("console.case_gather", case_id=case_id), code=303)
    if not ActionForm().validate_on_submit():
        flash("The form expired. Try again.", "error")
        return back
    try:
        services.complete_gather(found, _user())
    except IllegalTransition as exc:
        db.session.rollback()
        flash(str(exc).capitalize(), "error")
        return back
    db.session.commit()
    flash("The case is ready for review.", "success")
    return back


@bp.get("/cases/<uuid:case_id>/items")
@web.login_required
def case_items(case_id: uuid.UUID):
    found = _case(case_id)
    groups = looks.view_items(_user(), found)
    db.session.commit()
    return render_template("console/collect/items.html", case=found, groups=groups)
