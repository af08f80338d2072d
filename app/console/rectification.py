"""Console page for a rectification case's corrections (app.rectification).

One page per case (``/console/cases/<id>/rectification``): the form to
propose a correction (a field of one of the records confirmed as the
subject, and the new value), the before/after table with the changed parts
marked and the value each record holds now, a decision form on every row
(approve, or refuse with the reason), then "approve the case", "apply the
corrections" and the confirmation letter's download. Bad input shows the
page again with an error summary (422), a move the lifecycle forbids 409.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from flask import abort, render_template
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired

from app.accounts import web
from app.blobs.services import FileDestroyed
from app.blobs.web import attachment
from app.cases.models import Case, CaseStatus, RequestType
from app.console.actions import SummaryPage, capital
from app.console.cases import case_or_404 as _case
from app.console.cases import file_destroyed_page
from app.console.cases import signed_in_user as _user
from app.console.views import bp
from app.extensions import db
from app.rectification import apply, diff, services
from app.sources.validation import FieldError

HEADING = "rectification-heading"
_TARGET = re.compile(r"^(pupil|contact|employee):([0-9a-f-]{36}):([a-z_0-9]{1,40})$")


class ActionForm(FlaskForm):
    """A button that needs nothing but the CSRF token."""


class ProposeForm(FlaskForm):
    target = StringField()  # kind:record_id:field, from the picker
    value = StringField()


class DecideForm(FlaskForm):
    proposal_id = HiddenField(validators=[InputRequired()])
    decision = HiddenField(validators=[InputRequired(), AnyOf(["approve", "refuse"])])
    reason = TextAreaField()


def _page(
    case: Case,
    errors: list[tuple[str, str]] | None = None,
    status: int = 200,
    propose: ProposeForm | None = None,
):
    rows = diff.view(case, _user())
    db.session.commit()  # the audit event of the look
    return render_template(
        "console/rectification/page.html",
        case=case,
        rows=rows,
        records=services.confirmed_records(case),
        counts=services.counts(services.proposals_for(case)),
        letter=apply.latest_letter(case),
        is_rectification=case.request_type is RequestType.RECTIFICATION,
        can_propose=case.status in services.PROPOSABLE,
        can_decide=case.status in services.DECIDABLE,
        can_approve=case.status is CaseStatus.IN_REVIEW and bool(rows),
        can_apply=case.status in services.APPLICABLE,
        propose=propose or ProposeForm(formdata=None),
        form=ActionForm(),
        errors=errors or [],
    ), status


@bp.get("/cases/<uuid:case_id>/rectification")
@web.login_required
def case_rectification(case_id: uuid.UUID):
    return _page(_case(case_id))


def _field_id(field: str, proposal_id: str | None = None) -> str:
    if field == "reason" and proposal_id:
        return f"reason-{proposal_id}"
    return {"value": "value", "field": "target", "kind": "target", "record_id": "target"}.get(field, HEADING)


_PAGE = SummaryPage(show=_page, heading=HEADING, endpoint="console.case_rectification", load=_case)


def _act(
    case_id: uuid.UUID,
    form: FlaskForm,
    action: Callable[[Case], Any],
    done: str,
    *,
    where: Callable[[str], str] = _field_id,
):
    # A proposal refused for its input keeps what was typed, beside the field at fault.
    keep = form if isinstance(form, ProposeForm) else None

    def bad_input(case: Case, exc: FieldError):
        return _page(case, [(where(exc.field), capital(exc.message))], 422, propose=keep)

    return _PAGE.act(case_id, form, action, done, refusals={FieldError: bad_input}, not_found=(LookupError,))


@bp.post("/cases/<uuid:case_id>/rectification/proposals")
@web.login_required
def case_rectification_propose(case_id: uuid.UUID):
    user = _user()
    form = ProposeForm()

    def propose(case: Case) -> None:
        matched = _TARGET.match(form.target.data or "")
        if matched is None:
            raise FieldError("field", "Choose the record and the field to correct")
        kind, record_id, field = matched.groups()
        services.propose(case, user, kind, uuid.UUID(record_id), field, form.value.data)

    return _act(case_id, form, propose, "The correction was proposed. Approve or refuse it below.")


@bp.post("/cases/<uuid:case_id>/rectification/decisions")
@web.login_required
def case_rectification_decide(case_id: uuid.UUID):
    user = _user()
    form = DecideForm()

    def decide(case: Case) -> None:
        try:
            proposal_id = uuid.UUID(form.proposal_id.data or "")
        except ValueError:
            raise LookupError("no such proposal") from None
        services.decide(
            case, proposal_id, user, approve=form.decision.data == "approve", reason=form.reason.data
        )

    done = (
        "The correction was approved." if form.decision.data == "approve" else "The correction was refused."
    )
    return _act(case_id, form, decide, done, where=lambda field: _field_id(field, form.proposal_id.data))


@bp.post("/cases/<uuid:case_id>/rectification/approve")
@web.login_required
def case_rectification_approve(case_id: uuid.UUID):
    user = _user()
    return _act(
        case_id,
        ActionForm(),
        lambda case: services.approve_case(case, user),
        "The case is approved. Apply the corrections next.",
    )


@bp.post("/cases/<uuid:case_id>/rectification/apply")
@web.login_required
def case_rectification_apply(case_id: uuid.UUID):
    user = _user()
    return _act(
        case_id,
        ActionForm(),
        lambda case: services.start_apply(case, user),
        "The corrections are being applied. This page shows the outcome.",
    )


@bp.get("/cases/<uuid:case_id>/rectification/confirmation")
@web.login_required
def case_rectification_confirmation(case_id: uuid.UUID):
    found = _case(case_id)
    try:
        letter, blob = apply.staff_download(found, _user())
    except LookupError:
        abort(404)
    except FileDestroyed as gone:
        still_known = "The page still lists each correction's field and outcome, and when it was applied."
        return file_destroyed_page(found, gone, "", still_known, "console.case_rectification")
    db.session.commit()  # the audit event, before the bytes go out
    return attachment(
        blob.id,
        filename=apply.letter_file_name(found, letter),
        content_type=blob.content_type,
        size=blob.size,
    )
