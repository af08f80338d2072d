"""Console pages for reviewing a case's collected items (app.review).

The review page lists the items by source and category with their
decisions, offers bulk actions (disclose everything not yet decided, or
disclose or withhold the ticked items) and the Approve button. Each item has
its own page: the data with suggested names highlighted, and the decision
form (exemption, note, the parts to redact: suggested names to tick, or
words pasted for the server to find). The disclosure schedule page lists
every decision. Decisions are the controller's, so school users make them
for their own organisation's cases as company staff do.

Views parse the form, call one service and redirect, or show the page
again with an error summary (422 for bad input, 409 when the case is not in
review). Every look is audited and access-logged by the service.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import abort, render_template, request
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Regexp

from app.accounts import web
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case
from app.console import review_display
from app.console.actions import EXPIRED, act, capital
from app.console.cases import case_or_404 as _case
from app.console.cases import signed_in_user as _user
from app.console.views import bp
from app.extensions import db
from app.review import listing, schedule, services
from app.review.exemptions import EXEMPTIONS
from app.review.models import Action
from app.sources.validation import FieldError

# Item keys are made of source names, ids and years (see app.sources).
ITEM_KEY = r"^[A-Za-z0-9_.:/+-]{1,200}$"
_ITEM_KEY = re.compile(ITEM_KEY)
_SPAN = re.compile(r"^([A-Za-z0-9_.]{1,200}):([0-9]{1,9}):([0-9]{1,9})$")
MAX_PHRASES = 50
# Where each service field's error is shown on the item and review pages.
_ITEM_FIELDS = {
    "action": "action",
    "exemption": "exemption",
    "note": "note",
    "redactions": "phrases",
    "phrases": "phrases",
    "suggestions": "accept-suggestions",
}
_BULK_FIELDS = {"action": "action", "exemption": "bulk-exemption", "note": "bulk-note"}
EXEMPTION_OPTIONS = [("", "Choose an exemption")] + [
    (info.code.value, f"{info.title} ({info.citation})") for info in EXEMPTIONS.values()
]
ACTION_LABELS = {
    Action.DISCLOSE.value: "Disclose the whole item",
    Action.WITHHOLD.value: "Withhold the whole item",
    Action.REDACT.value: "Disclose it with parts redacted",
}


class ActionForm(FlaskForm):
    """A button that needs nothing but the CSRF token."""


class DecideForm(FlaskForm):
    item_key = HiddenField(validators=[InputRequired(), Regexp(ITEM_KEY)])
    action = StringField()
    exemption = StringField()
    note = TextAreaField()
    # "field:start:end" of each ticked part (a suggested name, or a part
    # already redacted); the server checks each against the item.
    spans = SelectMultipleField(validate_choice=False)
    phrases = TextAreaField()


class AcceptForm(FlaskForm):
    item_key = HiddenField(validators=[InputRequired(), Regexp(ITEM_KEY)])


class BulkForm(FlaskForm):
    scope = HiddenField(validators=[InputRequired(), AnyOf(["selected", "undecided"])])
    item_keys = SelectMultipleField(validate_choice=False)
    action = StringField()
    exemption = StringField()
    note = TextAreaField()


def _review_page(
    case: Case, errors: list[tuple[str, str]] | None = None, status: int = 200, bulk: BulkForm | None = None
):
    result = listing.view_review(_user(), case)
    db.session.commit()
    return render_template(
        "console/review/review.html",
        case=case,
        review=result,
        form=ActionForm(),
        bulk=bulk or BulkForm(formdata=None),
        exemptions=EXEMPTION_OPTIONS,
        exemption_info=EXEMPTIONS,
        errors=errors or [],
    ), status


@bp.get("/cases/<uuid:case_id>/review")
@web.login_required
def case_review(case_id: uuid.UUID):
    return _review_page(_case(case_id))


def _spans_of(values: Iterable[str]) -> list[dict[str, Any]]:
    spans = []
    for value in values:
        match = _SPAN.match(value)
        if match is None:
            raise FieldError("redactions", "the parts chosen could not be read: choose them again")
        spans.append({"field": match[1], "start": int(match[2]), "end": int(match[3])})
    return spans


def _values(form: DecideForm) -> dict[str, Any]:
    """What the reviewer sent, to show again with the problem."""
    return {name: getattr(form, name).data or "" for name in ("action", "exemption", "note", "phrases")}


def _item_page(
    case: Case,
    item_key: str,
    form: DecideForm | None = None,
    errors: list[tuple[str, str]] | None = None,
    status: int = 200,
):
    try:
        entry = listing.view_item(_user(), case, item_key)
    except LookupError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    chosen = set(form.spans.data or []) if form is not None else None
    values = _values(form) if form is not None else review_display.values_of(entry)
    return render_template(
        "console/review/item.html",
        case=case,
        entry=entry,
        source_title=listing.source_title(entry.item.source),
        fields=review_display.shown_fields(entry),
        parts=review_display.parts(entry, chosen),
        values=values,
        # Words of a redaction made before a re-gather, filled in to check.
        refilled=form is None and bool(values["phrases"]),
        can_decide=listing.can_decide(case),
        action_labels=ACTION_LABELS,
        form=ActionForm(),
        exemptions=EXEMPTION_OPTIONS,
        exemption_info=EXEMPTIONS,
        errors=errors or [],
    ), status


@bp.get("/cases/<uuid:case_id>/review/item")
@web.login_required
def case_review_item(case_id: uuid.UUID):
    found = _case(case_id)
    key = request.args.get("key", "")
    if not _ITEM_KEY.match(key):
        abort(404)
    return _item_page(found, key)


def _act(
    case_id: uuid.UUID,
    form: FlaskForm,
    action: Callable[[Case], Any],
    done: str | Callable[[], str],
    refused: Callable[[Case, list[tuple[str, str]], int], Any],
    fields: Mapping[str, str],
    *,
    expired: str = "main",
    endpoint: str = "console.case_review",
) -> Any:
    """Check the form (the review page answers an expired one, under
    ``expired``), run one service action, commit and go back; or roll back
    and show the page again (``refused(case, errors, status)``), each field
    error beside its field in ``fields``."""
    return act(
        case_id,
        action,
        done,
        load=_case,
        endpoint=endpoint,
        form=form,
        expired=lambda case: _review_page(case, [(expired, EXPIRED)], 422),
        refusals={
            FieldError: lambda case, exc: refused(
                case, [(fields.get(exc.field, "main"), capital(exc.message))], 422
            ),
            IllegalTransition: lambda case, exc: refused(case, [("main", capital(str(exc)))], 409),
        },
        not_found=(LookupError,),
    )


@bp.post("/cases/<uuid:case_id>/review/decide")
@web.login_required
def case_review_decide(case_id: uuid.UUID):
    form = DecideForm()
    user = _user()
    phrases = (form.phrases.data or "").splitlines()

    def decide(case: Case) -> None:
        if len(phrases) > MAX_PHRASES:
            raise FieldError("phrases", f"give at most {MAX_PHRASES} phrases at once")
        services.decide(
            case,
            form.item_key.data,
            form.action.data or None,
            form.exemption.data or None,
            _spans_of(form.spans.data or []),
            form.note.data,
            user,
            phrases=phrases,
        )

    return _act(
        case_id,
        form,
        decide,
        "Decision saved.",
        lambda case, errors, status: _item_page(case, form.item_key.data, form, errors, status),
        _ITEM_FIELDS,
    )


@bp.post("/cases/<uuid:case_id>/review/accept")
@web.login_required
def case_review_accept(case_id: uuid.UUID):
    form = AcceptForm()
    user = _user()
    return _act(
        case_id,
        form,
        lambda case: services.accept_suggestions(case, form.item_key.data, user),
        "The suggested names will be redacted as information about another person.",
        lambda case, errors, status: _item_page(case, form.item_key.data, None, errors, status),
        _ITEM_FIELDS,
    )


@bp.post("/cases/<uuid:case_id>/review/bulk")
@web.login_required
def case_review_bulk(case_id: uuid.UUID):
    form = BulkForm()
    user = _user()
    keys = form.item_keys.data or []
    selected = form.scope.data == "selected"
    made: list[Any] = []

    def decide_many(case: Case) -> None:
        if selected and not all(_ITEM_KEY.match(key) for key in keys):
            # Tampered with: shown as an expired form, beside the list of items.
            raise FieldError("item_keys", EXPIRED)
        made.extend(
            services.decide_many(
                case,
                keys if selected else [],
                form.action.data or None,
                form.exemption.data or None,
                form.note.data,
                user,
                undecided=form.scope.data == "undecided",
            )
        )

    return _act(
        case_id,
        form,
        decide_many,
        lambda: f"{len(made)} decision{'' if len(made) == 1 else 's'} saved.",
        lambda case, errors, status: _review_page(case, errors, status, form),
        {**_BULK_FIELDS, "item_keys": "select-heading" if selected else "bulk-heading"},
    )


@bp.post("/cases/<uuid:case_id>/review/approve")
@web.login_required
def case_review_approve(case_id: uuid.UUID):
    user = _user()
    return _act(
        case_id,
        ActionForm(),
        lambda case: services.approve(case, user),
        "The review is approved: the response pack can be built.",
        lambda case, errors, status: _review_page(
            case, [("approve-heading", message) for _, message in errors], status
        ),
        {},
        expired="approve-heading",
        endpoint="console.case",
    )


@bp.get("/cases/<uuid:case_id>/disclosure-schedule")
@web.login_required
def case_disclosure_schedule(case_id: uuid.UUID):
    found = _case(case_id)
    lines = schedule.view_schedule(_user(), found)
    db.session.commit()
    return render_template("console/review/schedule.html", case=found, lines=lines)
