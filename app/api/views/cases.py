"""``/cases``: rights requests in the caller's scope, and the actions on them.

Actions answer 422 with field messages for bad input and 409 when the
lifecycle does not allow the move from the case's current status.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response

from app.accounts.models import Role
from app.accounts.scoping import NotInScope
from app.api.auth import current_user
from app.api.case_schemas import (
    AssignSchema,
    CaseListQuerySchema,
    CasePageSchema,
    CaseSchema,
    ExtendSchema,
    IdentityDecisionSchema,
    PauseSchema,
    RefuseSchema,
    ResumeSchema,
    WithdrawSchema,
)
from app.api.errors import ApiError
from app.api.routing import operation
from app.api.services import Page, paginate
from app.api.views import bp
from app.audit.services import record
from app.blobs.web import attachment
from app.cases import assignment, clock_changes, evidence, identity, services
from app.cases.auto_close import closes_on
from app.cases.children import childs_view
from app.cases.clock_inputs import clock_summary
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case
from app.cases.queries import get_case, list_cases
from app.collect import nothing_held
from app.extensions import db
from app.restriction import answers
from app.sources.validation import FieldError

T = TypeVar("T")
_CONFLICT = (409,)


def case_in_scope(reference: str) -> Case:
    """The case with this reference among the caller's organisations, or 404."""
    try:
        return get_case(current_user(), reference)
    except NotInScope:
        raise ApiError(404) from None


def _detail(case: Case) -> dict[str, Any]:
    computed = ("clock", "pauses", "evidence", "events", "closes_on", "childs_rights")
    shown = {name: getattr(case, name) for name in CaseSchema().fields if name not in computed}
    return {
        **shown,
        "clock": clock_summary(case, services.uk_today()),
        "closes_on": closes_on(case),
        "childs_rights": childs_view(case),
        "pauses": case.pauses,
        "evidence": [
            {
                "id": item.id,
                "kind": item.kind,
                "filename": item.filename,
                "content_type": item.blob.content_type,
                "size": item.blob.size,
                "received_on": item.received_on,
                "destroyed_at": item.destroyed_at,
            }
            for item in case.evidence
        ],
        "events": case.events,
    }


def run_action(action: Callable[[], T], *, not_found: tuple[type[Exception], ...] = ()) -> T:
    """Run one service action and commit, or roll back and answer its
    refusal: 422 with field messages, 409 for a move the lifecycle forbids,
    404 for the ``not_found`` errors (an unknown object named in the request)."""
    try:
        result = action()
    except FieldError as exc:
        db.session.rollback()
        raise ApiError(422, fields=exc.errors) from None
    except IllegalTransition as exc:
        db.session.rollback()
        raise ApiError(409, "illegal_transition", str(exc)) from None
    except not_found:
        db.session.rollback()
        raise ApiError(404) from None
    db.session.commit()
    return result


def _act(reference: str, action: Callable[[Case], Any]) -> dict[str, Any]:
    """Run one service action on the case, commit, and show the result."""
    case = case_in_scope(reference)
    run_action(lambda: action(case))
    return _detail(case)


@operation(
    bp, "/cases", "GET", summary="List cases", tag="cases", query=CaseListQuerySchema, response=CasePageSchema
)
def list_cases_view(query: dict[str, Any]) -> Page[Case]:
    """Confirmed cases in your organisations, soonest statutory due date first
    (paused cases, whose date is unknown, last); with ``answered=true``, the
    answered and ended ones, newest received first."""
    cases = list_cases(current_user(), status=query.get("status"), answered=query.get("answered"))
    return paginate(cases, query["page"], query["per_page"])


@operation(bp, "/cases/<reference>", "GET", summary="One case", tag="cases", response=CaseSchema)
def get_case_view(reference: str) -> dict[str, Any]:
    """A case by reference (e.g. SAR-2026-000123), with its clock and timeline.
    Viewing it is audited. Outside your organisations: not found."""
    user = current_user()
    case = case_in_scope(reference)
    record("case.viewed", actor_type="user", actor_id=user.id, object_type="case", object_id=case.id)
    db.session.commit()
    return _detail(case)


@operation(
    bp,
    "/cases/<reference>/identity",
    "POST",
    summary="Decide identity",
    tag="cases",
    body=IdentityDecisionSchema,
    response=CaseSchema,
    errors=_CONFLICT,
)
def decide_identity_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Accept (with the method and a reason; authority for someone acting for
    another) or refuse (with a reason). Accepting opens the case; refusing
    sends the refusal. Every problem with the decision comes in one 422, each
    under its field."""
    user = current_user()
    return _act(
        reference,
        lambda case: identity.decide_identity(
            case,
            user,
            accepted=body["decision"] == "accept",
            reason=body.get("reason"),
            method=body.get("method"),
            identity_received_on=body.get("identity_received_on"),
            authority_evidence=body.get("authority_evidence"),
            authority_received_on=body.get("authority_received_on"),
        ),
    )


@operation(
    bp,
    "/cases/<reference>/pause",
    "POST",
    summary="Ask a clarifying question (stop the clock)",
    tag="cases",
    body=PauseSchema,
    response=CaseSchema,
    errors=_CONFLICT,
)
def pause_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Sends the question to the requester and pauses the case."""
    user = current_user()
    return _act(
        reference,
        lambda case: clock_changes.pause(
            case, user, reason=body["reason"], question=body["question"], asked_on=body.get("asked_on")
        ),
    )


@operation(
    bp,
    "/cases/<reference>/resume",
    "POST",
    summary="Record the answer (restart the clock)",
    tag="cases",
    body=ResumeSchema,
    response=CaseSchema,
    errors=_CONFLICT,
)
def resume_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """The case returns to the status it was paused from."""
    user = current_user()
    return _act(reference, lambda case: clock_changes.resume(case, user, answered_on=body.get("answered_on")))


@operation(
    bp,
    "/cases/<reference>/extend",
    "POST",
    summary="Extend the deadline by two months",
    tag="cases",
    body=ExtendSchema,
    response=CaseSchema,
    errors=_CONFLICT,
)
def extend_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Needs a reason. The notice, with the reason, is emailed now, so the
    extension is refused (422 on notice_on) once the original due date has
    passed, and a notice_on other than today is refused too."""
    user = current_user()
    return _act(
        reference,
        lambda case: clock_changes.extend(case, user, reason=body["reason"], notice_on=body.get("notice_on")),
    )


@operation(
    bp,
    "/cases/<reference>/refuse",
    "POST",
    summary="Refuse the request",
    tag="cases",
    body=RefuseSchema,
    response=CaseSchema,
    errors=_CONFLICT,
)
def refuse_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Sends the refusal, with the right to complain to the ICO."""
    user = current_user()
    return _act(
        reference, lambda case: services.refuse(case, user, reason=body["reason"], detail=body["detail"])
    )


@operation(
    bp,
    "/cases/<reference>/answer",
    "POST",
    summary="Answer a restriction or objection request",
    tag="cases",
    response=CaseSchema,
    errors=(409, 422),
)
def answer_view(reference: str) -> dict[str, Any]:
    """Sends the requester what was done (what is restricted and what that
    means; each objection's decision, with the grounds of any not upheld and
    the right to complain) and moves the case to responded. 422 (``case``)
    until a restriction is recorded or every objection decided; 409 for
    another request type or a case that cannot be answered now."""
    user = current_user()
    return _act(reference, lambda case: answers.answer(case, user))


@operation(
    bp,
    "/cases/<reference>/nothing-held",
    "POST",
    summary="Answer that we hold no personal data about the subject",
    tag="cases",
    response=CaseSchema,
    errors=(409, 422),
)
def nothing_held_view(reference: str) -> dict[str, Any]:
    """For any request type, once the search (of every person store) found
    no record of the subject and each record proposed was rejected: tells
    the requester which systems were searched, how and when, and what
    holding nothing means for their request; tells the school's data
    protection contact to answer for its other records by the due date; and
    moves the case to responded. 422 (``case``) before a search, after a
    search that did not cover every person store, while a record is
    proposed or once one is confirmed; 409 for a case that is not open."""
    user = current_user()
    return _act(reference, lambda case: nothing_held.answer(case, user))


@operation(
    bp,
    "/cases/<reference>/withdraw",
    "POST",
    summary="Record that the request was withdrawn",
    tag="cases",
    body=WithdrawSchema,
    response=CaseSchema,
    errors=_CONFLICT,
)
def withdraw_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """The requester withdrew (``asked_by`` says how); the case ends and the
    requester is sent a confirmation."""
    user = current_user()
    return _act(reference, lambda case: services.withdraw(case, user, asked_by=body["asked_by"]))


@operation(
    bp,
    "/cases/<reference>/close",
    "POST",
    summary="Close an answered case",
    tag="cases",
    response=CaseSchema,
    errors=_CONFLICT,
)
def close_view(reference: str) -> dict[str, Any]:
    """A responded or refused case whose work is over; 409 from any other
    status. The retention of its copies and, years later, of its record
    runs from its closing."""
    user = current_user()
    return _act(reference, lambda case: services.close(case, user))


@operation(
    bp,
    "/cases/<reference>/identity-request",
    "POST",
    summary="Ask the requester for proof of identity",
    tag="cases",
    response=CaseSchema,
    errors=_CONFLICT,
)
def request_identity_view(reference: str) -> dict[str, Any]:
    """Emails the identity request letter with a private upload link (and asks
    for proof of authority when someone acts for another). Only while
    awaiting identity; not needed when the school knows the person."""
    user = current_user()
    return _act(reference, lambda case: evidence.request_identity(case, user))


@operation(
    bp,
    "/cases/<reference>/evidence/<uuid:evidence_id>",
    "GET",
    summary="Download an evidence file",
    tag="cases",
    binary=("application/pdf", "image/jpeg", "image/png"),
    errors=(410,),
)
def download_evidence_view(reference: str, evidence_id: uuid.UUID) -> Response:
    """The file as uploaded, always as an attachment (never shown inline).
    Every download is audited."""
    case = case_in_scope(reference)
    try:
        item = evidence.evidence_for_download(case, evidence_id, current_user())
    except evidence.EvidenceDestroyed as gone:
        raise ApiError(410, "destroyed", str(gone)) from None
    if item is None:
        raise ApiError(404)
    db.session.commit()
    return attachment(
        item.blob_id, filename=item.filename, content_type=item.blob.content_type, size=item.blob.size
    )


@operation(
    bp,
    "/cases/<reference>/assign",
    "POST",
    summary="Assign the case to a member of the company's team",
    tag="cases",
    body=AssignSchema,
    response=CaseSchema,
    roles=(Role.ADMIN, Role.CASEWORKER),
)
def assign_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Reminders before the due date go to the assignee (or the DPO mailbox
    when nobody is assigned)."""
    user = current_user()
    return _act(reference, lambda case: assignment.assign_by_id(case, user, body["assignee_id"]))
