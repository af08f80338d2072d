"""``/cases/{reference}/consent-withdrawal``: a consent-withdrawal request
(Art 7(3)). GET shows the consents the subject has given (from the consent
ledger, for their confirmed records) and those the case withdrew; POST
withdraws the chosen ones, sends the requester the confirmation and answers
the case (``app.restriction.consent_withdrawal``). 422 with field messages
for a choice that is not one of the subject's given consents; 409 when the
case cannot be answered so (another request type, no confirmed record, a
status the lifecycle does not answer from, or answered already).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.api.auth import current_user
from app.api.routing import operation
from app.api.schemas import RequestSchema
from app.api.views import bp
from app.api.views.cases import case_in_scope, run_action
from app.cases.lifecycle import audit_case
from app.cases.models import Case, CaseStatus
from app.extensions import db
from app.restriction import consent_withdrawal as withdrawal
from app.restriction.consents import given_states
from app.sources.consent.services import PURPOSE_PATTERN

TAG = "consent withdrawal"
NOT_A_CODE = "Use the consent ledger's purpose code, e.g. photographs"


class WithdrawConsentsSchema(RequestSchema):
    purposes = fields.List(
        fields.String(validate=validate.Regexp(PURPOSE_PATTERN, error=NOT_A_CODE)),
        required=True,
        validate=validate.Length(max=withdrawal.MAX_CHOSEN),
        metadata={
            "description": "The consent ledger purposes withdrawn: at least one, each given now for the "
            "subject's confirmed records (see `given` in the GET)."
        },
    )


class ConsentGivenSchema(Schema):
    purpose = fields.String(required=True)
    wording = fields.String(required=True, metadata={"description": "The wording agreed to."})
    wording_version = fields.String(required=True)
    since = fields.DateTime(required=True, metadata={"description": "When it was given."})


class ConsentWithdrawnSchema(Schema):
    purpose = fields.String(required=True)
    wording = fields.String(required=True)
    withdrawn_at = fields.DateTime(required=True, metadata={"description": "Withdrawn from then."})
    records = fields.Integer(
        required=True, metadata={"description": "How many of the subject's records it was withdrawn for."}
    )


class ConsentWithdrawalStateSchema(Schema):
    reference = fields.String(required=True)
    status = fields.Enum(CaseStatus, by_value=True, required=True)
    can_withdraw = fields.Boolean(required=True, metadata={"description": "Whether POST is possible now."})
    why_not = fields.String(
        required=True, allow_none=True, metadata={"description": "Why not, if not (POST then answers 409)."}
    )
    given = fields.List(fields.Nested(ConsentGivenSchema), required=True)
    withdrawn = fields.List(fields.Nested(ConsentWithdrawnSchema), required=True)


def _state(case: Case) -> dict[str, Any]:
    why_not = withdrawal.refusal(case)
    return {
        "reference": case.reference,
        "status": case.status,
        "can_withdraw": why_not is None,
        "why_not": why_not,
        "given": [
            {"purpose": p, "wording": s.wording, "wording_version": s.wording_version, "since": s.since}
            for p, s in given_states(case).items()
        ],
        "withdrawn": withdrawal.withdrawn_on_case(case),
    }


@operation(
    bp,
    "/cases/<reference>/consent-withdrawal",
    "GET",
    summary="The subject's consents and those the case withdrew",
    tag=TAG,
    response=ConsentWithdrawalStateSchema,
)
def get_consent_withdrawal(reference: str) -> dict[str, Any]:
    """The consents given now for the subject's confirmed records (the
    choices for POST), and what the case has withdrawn."""
    case = case_in_scope(reference)
    audit_case("consent_withdrawal.viewed", case, current_user())
    db.session.commit()
    return _state(case)


@operation(
    bp,
    "/cases/<reference>/consent-withdrawal",
    "POST",
    summary="Withdraw the subject's consents and answer a consent-withdrawal request",
    tag=TAG,
    body=WithdrawConsentsSchema,
    response=ConsentWithdrawalStateSchema,
    status=201,
    errors=(409, 422),
)
def withdraw_consents(reference: str, body: dict[str, Any]) -> dict[str, Any]:
    """Records each chosen consent withdrawn in the consent ledger (for every
    confirmed record of the subject that has it given, at the data subject's
    request, by the caller), sends the requester the confirmation (what was
    withdrawn and from when, that what was done before stays lawful, how to
    give consent again, the right to complain to the ICO) and moves the case
    to responded. 422 (`purposes`) for none chosen, or one not given now
    (never given, or withdrawn already); 409 for another request type, no
    confirmed record, or a case that cannot be answered now (answered already
    included)."""
    user = current_user()
    case = case_in_scope(reference)
    run_action(lambda: withdrawal.withdraw_consents(case, user, body["purposes"]))
    return _state(case)
