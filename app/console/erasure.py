"""Console pages for an erasure case's plan (``/console/cases/<id>/erasure``).

The plan as a table per store (action, records, why anything is kept),
build or rebuild it while the case is in review, approve it, execute it,
each step's progress (the page refreshes itself while executing), and the
certificate's download once done (audited). A legal hold over the person
is shown in the error summary with its reason; a step kept under a hold
names it. When the stores' jobs stopped under a hold placed after approval,
the page says which and offers to resume once it is released.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from itertools import groupby
from typing import Any

from flask import abort, make_response, render_template, request
from flask_wtf import FlaskForm

from app.accounts import web
from app.blobs.services import FileDestroyed
from app.blobs.web import attachment
from app.cases.models import Case, CaseStatus, RequestType
from app.console.actions import SummaryPage
from app.console.cases import case_or_404 as _case
from app.console.cases import file_destroyed_page
from app.console.cases import signed_in_user as _user
from app.console.views import bp
from app.erasure import holds, services, targets
from app.erasure.models import PlanStatus
from app.erasure.plan import SCOPE_REASONS, ErasureBlocked, kept_categories, set_category_kept
from app.extensions import db
from app.sources import registry
from app.sources.validation import FieldError

REFRESH_SECONDS = 5
_HEADING = "erasure-heading"


class ActionForm(FlaskForm):
    """A button that needs nothing but the CSRF token."""


def _erasure_case(case_id: uuid.UUID) -> Case:
    case = _case(case_id)
    if case.request_type is not RequestType.ERASURE:
        abort(404)
    return case


class KeepCategoryForm(FlaskForm):
    """Keep a category out of the erasure, or erase it as planned again. The
    choices are checked by the service (``FieldError`` names the field)."""


SCOPE_FIELDS = {"category": "scope-category", "keep": "scope-keep"}


def _scope(plan) -> dict[str, Any]:
    """The scope form's choices: the plan's categories (the value
    "source:category", shown with their store's title), and what the DPO
    kept so far, with why."""
    titles = {
        (step.source, step.category): f"{registry.get_source(step.source).title}: "
        f"{targets.BY_KEY[(step.source, step.category)].label}"
        for step in plan.steps
    }
    return {
        "categories": [("", "Choose a category"), *((f"{s}:{c}", title) for (s, c), title in titles.items())],
        "grounds": [("", "Erase it as the plan says"), *SCOPE_REASONS.items()],
        "kept": [
            (titles.get((source, category), f"{source}:{category}"), SCOPE_REASONS[ground])
            for source, category, ground in kept_categories(plan)
        ],
    }


def _page(
    case: Case,
    errors: list[tuple[str, str]] | None = None,
    status: int = 200,
    scope_values: dict[str, str] | None = None,
):
    plan = services.plan_for(case)
    sources = []
    if plan is not None:
        for name, steps in groupby(plan.steps, key=lambda step: step.source):
            rows = [(step, targets.BY_KEY[(step.source, step.category)].label) for step in steps]
            sources.append((name, registry.get_source(name).title, rows))
    stop = holds.stopped(case, plan) if plan is not None else None
    # Refreshing is for watching jobs run; a stopped erasure waits for staff.
    executing = plan is not None and plan.status is PlanStatus.EXECUTING and stop is None
    response = make_response(
        render_template(
            "console/erasure/plan.html",
            case=case,
            plan=plan,
            sources=sources,
            can_build=case.status is CaseStatus.IN_REVIEW
            and (plan is None or plan.status is PlanStatus.DRAFT),
            can_approve=case.status is CaseStatus.IN_REVIEW
            and plan is not None
            and plan.status is PlanStatus.DRAFT,
            can_execute=case.status is CaseStatus.APPROVED and plan is not None,
            can_resume=stop is not None,
            stopped=_stopped(stop),
            hold_notes=holds.described_by_id(s.hold_id for s in plan.steps if s.hold_id) if plan else {},
            refresh=REFRESH_SECONDS if executing else None,
            form=ActionForm(),
            errors=errors or [],
            scope=_scope(plan) if plan is not None else None,
            scope_values=scope_values or {},
            scope_fields=SCOPE_FIELDS,
        ),
        status,
    )
    if executing:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


def _stopped(stop: holds.Stopped | None) -> dict[str, Any] | None:
    """The stores left (by title) and each hold they stopped under, as the
    template shows them: (description, released at or None)."""
    if stop is None:
        return None
    return {
        "sources": [registry.get_source(name).title for name in stop.sources],
        "holds": list(zip(holds.described(stop.holds), [h.released_at for h in stop.holds], strict=True)),
    }


@bp.get("/cases/<uuid:case_id>/erasure")
@web.login_required
def case_erasure(case_id: uuid.UUID):
    return _page(_erasure_case(case_id))


_PAGE = SummaryPage(show=_page, heading=_HEADING, endpoint="console.case_erasure", load=_erasure_case)


def _blocked(case: Case, exc: ErasureBlocked):
    # A legal hold's reason is shown as written, for staff to act on.
    return _page(case, [(_HEADING, str(exc))], 409)


def _act(case_id: uuid.UUID, action: Callable[[Case], Any], done: str):
    return _PAGE.act(case_id, ActionForm(), action, done, refusals={ErasureBlocked: _blocked})


@bp.post("/cases/<uuid:case_id>/erasure/plan")
@web.login_required
def case_erasure_build(case_id: uuid.UUID):
    user = _user()
    return _act(case_id, lambda case: services.build_plan(case, user), "The erasure plan is ready to check.")


@bp.post("/cases/<uuid:case_id>/erasure/scope")
@web.login_required
def case_erasure_scope(case_id: uuid.UUID):
    user = _user()
    source, _, category = request.form.get("category", "").partition(":")
    keep = request.form.get("keep") or None
    values = {"category": request.form.get("category", ""), "keep": request.form.get("keep", "")}

    def refused(case: Case, exc: FieldError):
        return _page(case, [(SCOPE_FIELDS.get(exc.field, _HEADING), exc.message)], 422, values)

    return _PAGE.act(
        case_id,
        KeepCategoryForm(),
        lambda case: set_category_kept(case, user, source, category, keep),
        "The erasure plan is rebuilt with your change.",
        refusals={ErasureBlocked: _blocked, FieldError: refused},
    )


@bp.post("/cases/<uuid:case_id>/erasure/approve")
@web.login_required
def case_erasure_approve(case_id: uuid.UUID):
    user = _user()
    return _act(case_id, lambda case: services.approve(case, user), "The erasure plan is approved.")


@bp.post("/cases/<uuid:case_id>/erasure/execute")
@web.login_required
def case_erasure_execute(case_id: uuid.UUID):
    user = _user()
    return _act(case_id, lambda case: services.execute(case, user), "The erasure is under way.")


@bp.post("/cases/<uuid:case_id>/erasure/resume")
@web.login_required
def case_erasure_resume(case_id: uuid.UUID):
    # ``execute`` again: it queues the stores with steps left, or refuses
    # (still held, or already running) as the first execute does.
    user = _user()
    return _act(case_id, lambda case: services.execute(case, user), "The erasure is under way again.")


@bp.get("/cases/<uuid:case_id>/erasure/certificate")
@web.login_required
def case_erasure_certificate(case_id: uuid.UUID):
    found = _erasure_case(case_id)
    try:
        blob = services.staff_download(found, _user())
    except LookupError:
        abort(404)
    except FileDestroyed as gone:
        still_known = "The plan still says what was erased in each system, what was kept and why, and when."
        return file_destroyed_page(found, gone, "#certificate-heading", still_known, "console.case_erasure")
    db.session.commit()  # the audit event, before the bytes go out
    return attachment(
        blob.id,
        filename=services.certificate_file_name(found),
        content_type=blob.content_type,
        size=blob.size,
    )
