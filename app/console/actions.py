"""The one way a case's console page acts on a POST.

Load the case (in the user's scope, or 404), check the form, call one
service, commit, flash what was done and go back to the page (303). When
the service refuses with a domain error, roll back and show the page again
(the case loaded afresh) with the problem; each page says which errors it
expects and how it shows them, so messages and status codes stay its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case
from app.extensions import db

EXPIRED = "The form expired or was incomplete. Try again."

# The page shown again: (the case loaded afresh, the domain error) -> response.
Refusal = Callable[[Case, Any], ResponseReturnValue]


def capital(message: str) -> str:
    """A service's message as the start of a sentence (``str.capitalize``
    would lower-case the rest, names included)."""
    return message[:1].upper() + message[1:]


def act(
    case_id: uuid.UUID,
    action: Callable[[Case], Any],
    done: str | Callable[[], str],
    *,
    load: Callable[[uuid.UUID], Case],
    endpoint: str,
    form: FlaskForm,
    expired: Callable[[Case], ResponseReturnValue],
    refusals: Mapping[type[Exception], Refusal],
    not_found: tuple[type[Exception], ...] = (),
    anchor: str | None = None,
) -> ResponseReturnValue:
    """Run ``action`` on the case and commit, then flash ``done`` (a callable
    when the message depends on what the action did) and redirect to
    ``endpoint`` (at ``anchor``, if given); or show the page again.

    ``form`` failing validation (the token or its own fields) is shown by
    ``expired``. An error of a type in ``refusals`` (the first that matches,
    in order) rolls back and is shown by its refusal; one of ``not_found``
    (e.g. an id that is not on this case) rolls back and answers 404.
    Anything else propagates.
    """
    found = load(case_id)
    if not form.validate_on_submit():
        return expired(found)
    try:
        action(found)
    except (*refusals, *not_found) as exc:
        db.session.rollback()
        refusal = next((shown for kind, shown in refusals.items() if isinstance(exc, kind)), None)
        if refusal is None:
            abort(404)
        return refusal(load(case_id), exc)
    db.session.commit()
    flash(done if isinstance(done, str) else done(), "success")
    return redirect(url_for(endpoint, case_id=case_id, _anchor=anchor), code=303)


@dataclass(frozen=True)
class SummaryPage:
    """A case page that lists its problems in an error summary, as (field
    id, message) pairs, with what concerns the form as a whole (an expired
    token, a move the lifecycle forbids) under the page's heading."""

    show: Callable[[Case, list[tuple[str, str]], int], ResponseReturnValue]
    heading: str
    endpoint: str
    load: Callable[[uuid.UUID], Case]

    def expired(self, case: Case) -> ResponseReturnValue:
        return self.show(case, [(self.heading, EXPIRED)], 422)

    def refused_move(self, case: Case, exc: IllegalTransition) -> ResponseReturnValue:
        return self.show(case, [(self.heading, str(exc).capitalize())], 409)

    def act(
        self,
        case_id: uuid.UUID,
        form: FlaskForm,
        action: Callable[[Case], Any],
        done: str,
        *,
        refusals: Mapping[type[Exception], Refusal] | None = None,
        not_found: tuple[type[Exception], ...] = (),
    ) -> ResponseReturnValue:
        """``act`` on this page; ``refusals`` are the page's own domain
        errors, beside the lifecycle's."""
        return act(
            case_id,
            action,
            done,
            load=self.load,
            endpoint=self.endpoint,
            form=form,
            expired=self.expired,
            refusals={**(refusals or {}), IllegalTransition: self.refused_move},
            not_found=not_found,
        )
