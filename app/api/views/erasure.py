"""An erasure case's plan over the API.

``GET /cases/<reference>/erasure`` shows the plan; ``POST`` builds (or
rebuilds) it from the confirmed matches; ``…/approve`` and ``…/execute``
move the case on; ``…/certificate`` downloads the erasure certificate
(audited). A legal hold over the person answers 409 with the reason.
Cases of other organisations are not found.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from app.api.auth import current_user
from app.api.errors import ApiError
from app.api.routing import operation
from app.api.views import bp
from app.api.views.cases import case_in_scope as _case
from app.api.views.cases import run_action
from app.api.views.erasure_schemas import ErasurePlanSchema, KeepCategorySchema
from app.blobs.services import FileDestroyed
from app.blobs.web import attachment
from app.erasure import services, targets
from app.erasure.models import ErasurePlan
from app.erasure.plan import ErasureBlocked, kept_categories, set_category_kept
from app.extensions import db

_CONFLICT = (409,)


def _plan(plan: ErasurePlan) -> dict[str, Any]:
    shown = {name: getattr(plan, name) for name in ErasurePlanSchema().fields if hasattr(plan, name)}
    steps = [
        {
            **{name: getattr(step, name) for name in ("id", "position", "source", "category", "action",
                                                      "organisation_ids", "record_count", "reason_code",
                                                      "reason", "hold_id", "state", "affected_count",
                                                      "executed_at")},
            "label": targets.BY_KEY[(step.source, step.category)].label,
        }
        for step in plan.steps
    ]  # fmt: skip
    ready = plan.certificate_blob_id is not None and plan.certificate_destroyed_at is None
    kept = [
        {"source": source, "category": category, "keep": ground}
        for source, category, ground in kept_categories(plan)
    ]
    return {**shown, "steps": steps, "certificate_ready": ready, "kept_categories": kept}


def _act(action) -> ErasurePlan:
    try:
        return run_action(action)
    except ErasureBlocked as exc:
        db.session.rollback()
        raise ApiError(409, "erasure_blocked", str(exc)) from None


@operation(bp, "/cases/<reference>/erasure", "GET", summary="The erasure plan", tag="erasure",
           response=ErasurePlanSchema)  # fmt: skip
def erasure_plan_view(reference: str) -> dict[str, Any]:
    """Each step: store, category, action, records, and why anything is kept.
    404 until a plan is built."""
    case = _case(reference)
    plan = services.plan_for(case)
    if plan is None:
        raise ApiError(404)
    return _plan(plan)


@operation(bp, "/cases/<reference>/erasure", "POST", summary="Build the erasure plan", tag="erasure",
           response=ErasurePlanSchema, status=201, errors=_CONFLICT)  # fmt: skip
def erasure_build_view(reference: str) -> dict[str, Any]:
    """Builds the plan from the confirmed matches, or rebuilds it until it is
    approved. Nothing changes in any store. 409 unless the erasure case is in
    review, or when a legal hold over the person blocks it (with the reason)."""
    case = _case(reference)
    user = current_user()
    return _plan(_act(lambda: services.build_plan(case, user)))


@operation(bp, "/cases/<reference>/erasure/scope", "POST", summary="Keep a category out of the erasure",
           tag="erasure", body=KeepCategorySchema, response=ErasurePlanSchema, errors=_CONFLICT)  # fmt: skip
def erasure_scope_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Keeps one category of the draft plan out of the erasure on a ground
    (the request did not ask for it, or Art 17(3)), or with ``keep`` null
    erases it as planned again; the plan is rebuilt with it. 422 for a
    category the plan does not know; 409 once the plan is approved."""
    case = _case(reference)
    user = current_user()
    return _plan(
        _act(lambda: set_category_kept(case, user, body["source"], body["category"], body["keep"]))
    )


@operation(bp, "/cases/<reference>/erasure/approve", "POST", summary="Approve the erasure plan",
           tag="erasure", response=ErasurePlanSchema, errors=_CONFLICT)  # fmt: skip
def erasure_approve_view(reference: str) -> dict[str, Any]:
    """Records who approved the plan as shown and moves the case to approved."""
    case = _case(reference)
    user = current_user()
    return _plan(_act(lambda: services.approve(case, user)))


@operation(bp, "/cases/<reference>/erasure/execute", "POST", summary="Execute the erasure plan",
           tag="erasure", response=ErasurePlanSchema, status=202, errors=_CONFLICT)  # fmt: skip
def erasure_execute_view(reference: str) -> dict[str, Any]:
    """Moves the case to executing and queues one job per store; the last to
    finish stores the certificate and moves the case to responded."""
    case = _case(reference)
    user = current_user()
    plan = _act(lambda: services.execute(case, user))
    db.session.refresh(plan)  # inline jobs have already run
    return _plan(plan)


@operation(bp, "/cases/<reference>/erasure/certificate", "GET", summary="Download the erasure certificate",
           tag="erasure", binary=("application/pdf",), errors=(410,))  # fmt: skip
def erasure_certificate_view(reference: str) -> Response:
    """The certificate PDF, once the erasure is complete (404 before). Audited.
    410 once it was destroyed with the case's record, years after closing."""
    case = _case(reference)
    try:
        blob = services.staff_download(case, current_user())
    except LookupError:
        raise ApiError(404) from None
    except FileDestroyed as gone:
        raise ApiError(410, "destroyed", str(gone)) from None
    db.session.commit()  # the audit event, before the bytes go out
    return attachment(
        blob.id, filename=services.certificate_file_name(case), content_type=blob.content_type, size=blob.size
    )
