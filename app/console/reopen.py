"""Console: reopening the search from the gather page, when the review
shows a record was confirmed wrongly. The rules are in ``app.collect.reopen``;
the page asks the user to tick that the gathered copies and the review's
decisions are discarded, as that cannot be undone."""

from __future__ import annotations

import uuid

from flask import flash, redirect, request, url_for

from app.accounts import web
from app.cases.lifecycle import IllegalTransition
from app.collect.reopen import reopen_search
from app.console.cases import case_or_404, signed_in_user
from app.console.collect import ActionForm, gather_page
from app.console.views import bp
from app.extensions import db

UNTICKED = "Tick to confirm that what was gathered and the review's decisions are discarded"


@bp.post("/cases/<uuid:case_id>/reopen-search")
@web.login_required
def case_reopen_search(case_id: uuid.UUID):
    found = case_or_404(case_id)
    back = redirect(url_for("console.case_gather", case_id=case_id, _anchor="reopen-heading"), code=303)
    if not ActionForm().validate_on_submit():
        flash("The form expired. Try again.", "error")
        return back
    if request.form.get("discard") != "yes":
        return gather_page(found, [("discard", UNTICKED)], 422, reopen_error=UNTICKED)
    try:
        discarded = reopen_search(found, signed_in_user())
    except IllegalTransition as exc:
        db.session.rollback()
        flash(str(exc).capitalize(), "error")
        return back
    db.session.commit()
    flash(
        f"The search is open again: {discarded['items']} gathered items and {discarded['decisions']} review "
        "decisions were discarded. Reject the wrong record, confirm the right one, then gather again.",
        "success",
    )
    return redirect(url_for("console.case_candidates", case_id=case_id), code=303)
