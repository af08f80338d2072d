"""Console page for a consent-withdrawal request (Art 7(3)): the consents the
subject has given, a choice of those withdrawn, and once recorded, what was
withdrawn. The rules live in ``app.restriction.consent_withdrawal``.
"""

from __future__ import annotations

import uuid

from flask import render_template, request

from app.accounts import web
from app.cases.lifecycle import IllegalTransition, audit_case
from app.cases.models import Case
from app.console.actions import act, capital
from app.console.cases import case_or_404, signed_in_user
from app.console.restriction import CASE_STAFF, CsrfForm
from app.console.views import bp
from app.extensions import db
from app.restriction import consent_withdrawal as withdrawal
from app.restriction.consents import given_states, label
from app.restriction.services import subject_records
from app.sources.validation import FieldError

# Where a problem with the choice, or with the case as a whole, is shown.
CHOICE_ID = withdrawal.FIELD
HEADING_ID = "withdraw-heading"


def _page(
    case: Case, errors: dict[str, str] | None = None, chosen: list[str] | None = None, status: int = 200
):
    errors = errors or {}
    refusal = withdrawal.refusal(case)
    return render_template(
        "console/consent_withdrawal.html",
        case=case,
        records=subject_records(case),
        given=[(purpose, label(purpose), state) for purpose, state in given_states(case).items()],
        withdrawn=withdrawal.withdrawn_on_case(case),
        label=label,
        refusal=capital(refusal) if refusal else None,
        can_act=signed_in_user().role in CASE_STAFF,
        form=CsrfForm(),
        errors=errors,
        error_list=list(errors.items()),
        chosen=chosen or [],
    ), status


@bp.get("/cases/<uuid:case_id>/consent-withdrawal")
@web.login_required
def case_consent_withdrawal(case_id: uuid.UUID):
    found = case_or_404(case_id)
    # The page shows which consents the subject has given: a look at their data.
    audit_case("consent_withdrawal.viewed", found, signed_in_user())
    db.session.commit()
    return _page(found)


@bp.post("/cases/<uuid:case_id>/consent-withdrawal")
@web.roles_required(*CASE_STAFF)
def case_consent_withdraw(case_id: uuid.UUID):
    user = signed_in_user()
    chosen = request.form.getlist(withdrawal.FIELD)

    def refused(case: Case, exc: FieldError | IllegalTransition):
        if isinstance(exc, FieldError):
            return _page(case, {CHOICE_ID: capital(exc.message)}, chosen, 422)
        return _page(case, {HEADING_ID: capital(str(exc))}, chosen, 409)

    return act(
        case_id,
        lambda case: withdrawal.withdraw_consents(case, user, chosen),
        "The consents are withdrawn in the consent ledger, the requester has been sent the confirmation "
        "and the case is answered.",
        load=case_or_404,
        endpoint="console.case",
        form=CsrfForm(),
        expired=lambda case: _page(case, {HEADING_ID: "The form expired. Send it again."}, chosen, 400),
        refusals={FieldError: refused, IllegalTransition: refused},
    )
