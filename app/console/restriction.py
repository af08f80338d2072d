"""Console pages for Art 18 restriction, Art 21 objections and the Art 19
recipients of a case: restrict and lift with reasons, record and decide
objections, see who was told of each change and record the ones the school
told itself. The rules live in ``app.restriction`` and ``app.recipients``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import render_template, request
from flask_wtf import FlaskForm

from app.accounts import web
from app.accounts.models import Role
from app.audit.services import record
from app.cases.lifecycle import ANSWERED_BY_LETTER, IllegalTransition, allowed_moves
from app.cases.models import Case, CaseStatus
from app.console.actions import act, capital
from app.console.cases import case_or_404, signed_in_user
from app.console.views import bp
from app.extensions import db
from app.orgs.models import Organisation
from app.recipients import services as recipients
from app.recipients.models import NoticeStatus, RecipientNotice
from app.register.bases import controller_of
from app.register.services import entries as register_entries
from app.restriction import answers, lifting, objections, services
from app.restriction.models import Objection, ObjectionDecision
from app.restriction.services import RestrictionConflict, RestrictionError
from app.sources.validation import FieldError

# The school's own staff work their cases too (finding, confirming), so
# every role may act; scoping (case_or_404) keeps each to its own cases.
CASE_STAFF = (Role.ADMIN, Role.CASEWORKER, Role.SCHOOL)
# The lift form's day/month/year inputs, named ``lift_on-<part>``.
LIFT_ON_PARTS = ("day", "month", "year")
CHOOSE_DECISION = (
    "Choose whether to uphold or reject the objection, or that it is outside the right to object"
)


class CsrfForm(FlaskForm):
    """Only the CSRF token: the service checks the fields, as for the API."""


@dataclass(frozen=True)
class Panel:
    active: int
    lifted: int
    objections_pending: int
    recipients: list[recipients.RecipientSummary]
    notices_pending: int


def restriction_panel(case: Case) -> Panel:
    """The case page's summary (ids and counts, no personal data)."""
    rows = services.restrictions_for(case)
    notices = recipients.notices_for(case)
    return Panel(
        active=sum(1 for r in rows if r.active),
        lifted=sum(1 for r in rows if not r.active),
        objections_pending=sum(
            1 for o in objections.objections_for(case) if o.decision is ObjectionDecision.PENDING
        ),
        recipients=recipients.recipients_for_requester(case),
        notices_pending=sum(1 for n in notices if n.status is NoticeStatus.PENDING),
    )


@bp.context_processor
def _panel_helper() -> dict[str, object]:
    return {"restriction_panel": restriction_panel}


def _page(case: Case, errors: dict[str, str] | None = None, values: dict[str, str] | None = None, status=200):
    user = signed_in_user()
    restricted = {(r.person_kind, r.person_id): r for r in services.restrictions_for(case) if r.active}
    records = [
        (kind, record_id, restricted.get((kind, record_id)))
        for kind, record_id in services.subject_records(case)
    ]
    errors = errors or {}
    found = objections.objections_for(case)
    # A decided objection shows the basis its decision rested on, as the
    # letter does, not whatever applies since.
    bases = {o.id: objections.basis_decided_on(case, o) for o in found}
    return render_template(
        "console/restriction/page.html",
        case=case,
        records=records,
        history=services.restrictions_for(case),
        objections=found,
        bases=bases,
        # Whose the bases are: a trust's case may take its school's.
        controller=db.session.get(Organisation, controller_of(case)),
        outside={o.id for o in found if objections.outside_article_21(case, o) is not None},
        # Consent can be withdrawn at any time: such an objection is upheld, never rejected.
        on_consent={found_id for found_id, basis in bases.items() if objections.on_consent(basis)},
        register_options=[(str(entry.id), entry.title) for entry in register_entries()],
        consent_options=[(purpose, purpose.replace("_", " ")) for purpose in objections.consents_given(case)],
        notices=recipients.notices_for(case),
        told_requester=recipients.recipients_for_requester(case),
        can_act=user.role in CASE_STAFF,
        # Objections are taken only on an objection request still to be answered.
        objection_refusal=objections.refusal(case),
        can_restrict=any(active is None for _kind, _id, active in records),
        can_lift=any(active is not None and active.lift_on is None for _kind, _id, active in records),
        scheduled_lift=next((r for _kind, _id, r in records if r is not None and r.lift_on), None),
        lift_on_default=lifting.default_lift_on(),
        form=CsrfForm(),
        errors=errors,
        error_list=list(errors.items()),
        values=values or {},
        answer=_answer_state(case),
    ), status


@dataclass(frozen=True)
class AnswerPanel:
    can_move: bool  # the lifecycle lets the case be answered now
    work_left: str | None  # what must be done before answering, if anything


def _answer_state(case: Case) -> AnswerPanel | None:
    """The answer form's state, for the request types answered by letter."""
    if case.request_type not in ANSWERED_BY_LETTER:
        return None
    can_move = CaseStatus.RESPONDED in allowed_moves(case)
    return AnswerPanel(can_move=can_move, work_left=answers.work_left(case) if can_move else None)


@bp.get("/cases/<uuid:case_id>/restriction")
@web.login_required
def case_restriction(case_id: uuid.UUID):
    found = case_or_404(case_id)
    # The page shows the reasons given, which may describe the dispute.
    record(
        "restriction.viewed",
        actor_type="user",
        actor_id=signed_in_user().id,
        object_type="case",
        object_id=found.id,
    )
    db.session.commit()
    return _page(found)


def _act(
    case_id: uuid.UUID, action: Callable[[Case], Any], done: str, field_ids: dict[str, str] | None = None
):
    """Check the token, run one service call, commit and redirect; or show
    the page again with the service's field messages and what was sent."""
    values = {key: value for key, value in request.form.items() if key != "csrf_token"}

    def refused(case: Case, exc: RestrictionError | IllegalTransition):
        if isinstance(exc, IllegalTransition):
            # The case's status does not allow it: said under the page's heading.
            return _page(case, {"case": capital(str(exc))}, values, 409)
        mapped = {(field_ids or {}).get(k, k): v for k, v in exc.errors.items()}
        # A conflict with the case's state (restricted already, nothing to
        # lift) is said the same way, with the API's status.
        return _page(case, mapped, values, 409 if isinstance(exc, RestrictionConflict) else 422)

    return act(
        case_id,
        action,
        done,
        load=case_or_404,
        endpoint="console.case_restriction",
        form=CsrfForm(),
        expired=lambda case: _page(case, {"case": "The form expired. Send it again."}, values, 400),
        refusals={RestrictionError: refused, IllegalTransition: refused},
    )


@bp.post("/cases/<uuid:case_id>/restriction/restrict")
@web.roles_required(*CASE_STAFF)
def case_restrict(case_id: uuid.UUID):
    user = signed_in_user()
    return _act(
        case_id,
        lambda case: services.restrict(case, user, request.form.get("reason")),
        "The subject's records are restricted and the recipients have been told.",
    )


@bp.post("/cases/<uuid:case_id>/restriction/lift")
@web.roles_required(*CASE_STAFF)
def case_restriction_lift(case_id: uuid.UUID):
    user = signed_in_user()

    def schedule(case: Case) -> None:
        try:
            day = lifting.lift_on_from_parts(*(request.form.get(f"lift_on-{p}", "") for p in LIFT_ON_PARTS))
            problem = None
        except RestrictionError as exc:
            day, problem = None, exc.errors["lift_on"]
        try:
            lifting.schedule_lift(case, user, request.form.get("lifted_reason"), day)
        except RestrictionError as exc:
            # Say what is wrong with what was typed, not only that no date was read.
            raise type(exc)({**exc.errors, **({"lift_on": problem} if problem else {})}) from None

    return _act(
        case_id,
        schedule,
        "The requester has been told; the restriction is lifted on that date and the recipients told then.",
        {"lift_on": "lift_on-day"},
    )


@bp.post("/cases/<uuid:case_id>/restriction/lift/cancel")
@web.roles_required(*CASE_STAFF)
def case_restriction_lift_cancel(case_id: uuid.UUID):
    user = signed_in_user()
    return _act(
        case_id,
        lambda case: lifting.cancel_lift(case, user),
        "The lift is cancelled and the requester told the restriction stays.",
    )


@bp.post("/cases/<uuid:case_id>/objections")
@web.roles_required(*CASE_STAFF)
def case_objection_record(case_id: uuid.UUID):
    user = signed_in_user()
    entry_id = _uuid_or_none(request.form.get("register_entry_id"))
    consent_purpose = (request.form.get("consent_purpose") or "").strip() or None
    return _act(
        case_id,
        lambda case: objections.record_objection(
            case,
            user,
            purpose=request.form.get("purpose"),
            register_entry_id=entry_id,
            consent_purpose=consent_purpose,
            direct_marketing=request.form.get("direct_marketing") == "yes",
        ),
        "The objection is recorded.",
    )


@bp.post("/cases/<uuid:case_id>/objections/decide")
@web.roles_required(*CASE_STAFF)
def case_objection_decide(case_id: uuid.UUID):
    user = signed_in_user()
    objection_id = _uuid_or_none(request.form.get("objection_id"))
    decision = request.form.get("decision")

    def decide(case: Case) -> None:
        objection = db.session.get(Objection, objection_id) if objection_id else None
        if objection is None or objection.case_id != case.id:
            raise RestrictionError({"case": "No such objection on this case"})
        if decision == ObjectionDecision.NO_RIGHT:
            objections.decide_no_right(
                case,
                objection,
                user,
                not_direct_marketing=request.form.get("not_direct_marketing") == "yes",
                grounds=request.form.get("grounds"),
            )
            return
        if decision not in (ObjectionDecision.UPHELD, ObjectionDecision.REJECTED):
            raise RestrictionError({"decision": CHOOSE_DECISION})
        objections.decide_objection(
            case, objection, user, uphold=decision == "upheld", grounds=request.form.get("grounds")
        )

    # Each message links to the control it is about; "decided already" to the
    # objection's own heading, which is shown whatever its decision.
    ids = {
        "decision": f"decision-{objection_id}",
        "grounds": f"grounds-{objection_id}",
        "not_direct_marketing": f"not-direct-marketing-{objection_id}",
        "objection": f"objection-{objection_id}",
    }
    return _act(case_id, decide, "The decision is recorded.", ids)


@bp.post("/cases/<uuid:case_id>/restriction/answer")
@web.roles_required(*CASE_STAFF)
def case_restriction_answer(case_id: uuid.UUID):
    user = signed_in_user()
    values = {key: value for key, value in request.form.items() if key != "csrf_token"}

    def refused(case: Case, exc: FieldError | IllegalTransition):
        message = exc.message if isinstance(exc, FieldError) else capital(str(exc))
        return _page(case, {"answer": message}, values, 422 if isinstance(exc, FieldError) else 409)

    return act(
        case_id,
        lambda case: answers.answer(case, user),
        "The answer has been sent to the requester and the case is answered.",
        load=case_or_404,
        endpoint="console.case",
        form=CsrfForm(),
        expired=lambda case: _page(case, {"case": "The form expired. Send it again."}, values, 400),
        refusals={FieldError: refused, IllegalTransition: refused},
    )


@bp.post("/cases/<uuid:case_id>/recipients/told")
@web.roles_required(*CASE_STAFF)
def case_recipient_told(case_id: uuid.UUID):
    user = signed_in_user()
    notice_id = _uuid_or_none(request.form.get("notice_id"))

    def told(case: Case) -> None:
        notice = db.session.get(RecipientNotice, notice_id) if notice_id else None
        if notice is None or notice.case_id != case.id:
            raise RestrictionError({"case": "No such notice on this case"})
        recipients.mark_told(notice, user)

    return _act(case_id, told, "Recorded as told by the school.")


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
