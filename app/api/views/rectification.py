"""A rectification case's corrections over the API.

``GET /cases/<reference>/rectification`` lists the confirmed records with
the fields that can be corrected and every proposal as a before/after diff
(audited: it shows the subject's data). ``POST …/proposals`` proposes a
value (422 with the field's own message when the store would refuse it);
``POST …/decisions`` approves or refuses one with a reason; ``…/approve``
moves the case to approved once all are decided; ``…/apply`` writes the
approved values by a job (stale ones are stopped) and, when all is done,
stores the confirmation letter, which ``GET …/confirmation`` downloads.
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
from app.api.views.rectification_schemas import (
    ProposalCreateSchema,
    ProposalDecisionSchema,
    ProposalSchema,
    RectificationSchema,
)
from app.blobs.services import FileDestroyed
from app.blobs.web import attachment
from app.cases.models import Case
from app.extensions import db
from app.rectification import apply, diff, services
from app.rectification.diff import DiffRow
from app.rectification.models import RectificationProposal

_ERRORS = (409, 422)
TAG = "rectification"


def _proposal(row: DiffRow, proposal: RectificationProposal) -> dict[str, Any]:
    return {
        "id": proposal.id,
        "kind": proposal.kind,
        "record_id": proposal.record_id,
        "field": proposal.field,
        "label": row.label,
        "before": row.before,
        "after": row.after,
        "current": row.current,
        "drifted": row.drifted,
        "status": proposal.status,
        "reason": proposal.reason,
        "decided_by_id": proposal.decided_by_id,
        "decided_at": proposal.decided_at,
        "applied_at": proposal.applied_at,
        "letter_id": proposal.letter_id,
    }


def _one(case: Case, proposal: RectificationProposal) -> dict[str, Any]:
    row = next(r for r in diff.view(case, current_user()) if r.proposal_id == proposal.id)
    db.session.commit()  # the audit event of the look
    return _proposal(row, proposal)


def _overview(case: Case) -> dict[str, Any]:
    rows = {row.proposal_id: row for row in diff.view(case, current_user())}
    proposals = services.proposals_for(case)
    result = {
        "status": case.status,
        "records": [
            {
                "kind": record.kind,
                "record_id": record.record_id,
                "choices": [
                    {"name": f.name, "label": f.label, "required": f.required} for f in record.fields
                ],
            }
            for record in services.confirmed_records(case)
        ],
        "proposals": [_proposal(rows[p.id], p) for p in proposals],
        "letter": apply.latest_letter(case),
    }
    db.session.commit()  # the audit event of the look
    return result


@operation(
    bp,
    "/cases/<reference>/rectification",
    "GET",
    summary="Corrections of a rectification case",
    tag=TAG,
    response=RectificationSchema,
)
def rectification_overview_view(reference: str) -> dict[str, Any]:
    """The records that can be corrected, every proposal with its before,
    after and current value, and the newest confirmation letter."""
    return _overview(_case(reference))


@operation(
    bp,
    "/cases/<reference>/rectification/proposals",
    "POST",
    summary="Propose a correction",
    tag=TAG,
    body=ProposalCreateSchema,
    response=ProposalSchema,
    status=201,
    errors=_ERRORS,
)
def rectification_propose_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """One field of one confirmed record; the value held now is kept as the
    before value. Proposing the same field again replaces the proposal.
    422 with the field's own message for a value the record would refuse
    (a UPN with a wrong check letter, a date that does not exist)."""
    case = _case(reference)
    user = current_user()
    proposal = run_action(
        lambda: services.propose(case, user, body["kind"], body["record_id"], body["field"], body["value"])
    )
    return _one(case, proposal)


@operation(
    bp,
    "/cases/<reference>/rectification/decisions",
    "POST",
    summary="Approve or refuse a correction",
    tag=TAG,
    body=ProposalDecisionSchema,
    response=ProposalSchema,
    errors=_ERRORS,
)
def rectification_decide_view(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """A refusal needs its reason, which the confirmation letter gives.
    404 for a proposal that is not this case's."""
    case = _case(reference)
    user = current_user()
    proposal = run_action(
        lambda: services.decide(
            case, body["proposal_id"], user, approve=body["decision"] == "approve", reason=body["reason"]
        ),
        not_found=(LookupError,),
    )
    return _one(case, proposal)


@operation(
    bp,
    "/cases/<reference>/rectification/approve",
    "POST",
    summary="Approve a rectification case",
    tag=TAG,
    response=RectificationSchema,
    errors=(409,),
)
def rectification_approve_view(reference: str) -> dict[str, Any]:
    """in_review -> approved. 409 while a proposal is undecided, or with none."""
    case = _case(reference)
    user = current_user()
    run_action(lambda: services.approve_case(case, user))
    return _overview(case)


@operation(
    bp,
    "/cases/<reference>/rectification/apply",
    "POST",
    summary="Apply the approved corrections",
    tag=TAG,
    response=RectificationSchema,
    status=202,
    errors=(409,),
)
def rectification_apply_view(reference: str) -> dict[str, Any]:
    """approved -> executing; a job writes the approved values (a value
    changed in the record since it was proposed is not overwritten: the
    proposal becomes stale, to be proposed again or refused, then applied
    again). When none is left stale the recipients of the data are told
    (Art 19), the confirmation letter is stored and the case is responded."""
    case = _case(reference)
    user = current_user()
    run_action(lambda: services.start_apply(case, user))
    db.session.expire_all()  # an inline job has already run
    return _overview(_case(reference))


@operation(
    bp,
    "/cases/<reference>/rectification/confirmation",
    "GET",
    summary="Download the confirmation letter",
    tag=TAG,
    binary=("application/pdf",),
    errors=(410,),
)
def rectification_confirmation_view(reference: str) -> Response:
    """The newest confirmation letter: what was corrected, what was not and
    why, and the right to complain to the ICO. 404 before there is one; 410
    once it was destroyed with the case's record, years after closing.
    Every download is audited."""
    case = _case(reference)
    try:
        letter, blob = apply.staff_download(case, current_user())
    except FileDestroyed as gone:
        raise ApiError(410, "destroyed", str(gone)) from None
    except LookupError:
        raise ApiError(404) from None
    db.session.commit()  # the audit event, before the bytes go out
    return attachment(
        blob.id, filename=apply.letter_file_name(case, letter), content_type=blob.content_type, size=blob.size
    )
