"""Console pages for support-access grants: a school's users give the
support team time-limited permission to look at a record, see every
permission of their organisations with its uses from the access log, and
withdraw one after confirming. Company staff see the same page read-only.
The rules live in ``app.sources.access_log.grants``, shared with the API.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from app.accounts import web
from app.accounts.models import Role, User
from app.accounts.scoping import NotInScope, organisation_ids_for
from app.api.services import page_number, paginate
from app.audit.services import record
from app.console.views import bp
from app.extensions import db
from app.sources.access_log import grants
from app.sources.access_log.models import SupportAccessGrant

PER_PAGE = 20
FIELDS = ("agent_email", "purpose", "ticket_reference", "days")


class CsrfForm(FlaskForm):
    """Only the CSRF token: the service checks the fields, as for the API."""


def _user() -> User:
    user = web.current_user()
    assert user is not None  # guaranteed by login_required
    return user


def _page(errors: dict[str, str] | None = None, values: dict[str, str] | None = None, status: int = 200):
    user = _user()
    found = paginate(
        grants.grants_query(organisation_ids_for(user)), page_number(request.args.get("page")), PER_PAGE
    )
    # The page names who gave each permission and which records were
    # looked at under it: viewing it is audited.
    record(
        "support_access.list_viewed",
        actor_type="user",
        actor_id=user.id,
        object_type="organisation",
        object_id=user.organisation_id,
        data={"page": found.page},
    )
    db.session.commit()
    errors = errors or {}
    return render_template(
        "console/support_grants/list.html",
        page=found,
        uses=grants.uses_by_grant([g.id for g in found.items]),
        state=grants.state,
        can_give=user.role is Role.SCHOOL,
        form=CsrfForm(),
        errors=errors,
        error_list=list(errors.items()),
        values=values or {"days": str(grants.DEFAULT_DAYS)},
        default_days=grants.DEFAULT_DAYS,
        max_days=grants.MAX_DAYS,
    ), status


@bp.get("/support-grants")
@web.login_required
def support_grants():
    return _page()


def _days(given: str) -> int | str | None:
    text = given.strip()
    if not text:
        return None
    # Anything but digits goes to the service as text, which refuses it
    # with the same message as an out-of-range number.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else text


@bp.post("/support-grants")
@web.roles_required(Role.SCHOOL)
def give_support_grant():
    values = {name: request.form.get(name, "") for name in FIELDS}
    if not CsrfForm().validate_on_submit():
        return _page({"agent_email": "The form expired. Send it again."}, values, 400)
    try:
        given = grants.grant(
            _user(),
            agent_email=values["agent_email"].strip(),
            purpose=values["purpose"],
            ticket_reference=values["ticket_reference"].strip(),
            days=_days(values["days"]),
        )
    except grants.GrantError as exc:
        db.session.rollback()
        return _page(exc.errors, values, 422)
    db.session.commit()
    flash(
        f"{given.agent_name} may look at your record until {given.expires_at:%-d %B %Y %H:%M}. "
        "You can withdraw this at any time.",
        "success",
    )
    return redirect(url_for("console.support_grants"), code=303)


def _grant_or_404(grant_id: uuid.UUID) -> SupportAccessGrant:
    try:
        return grants.grant_in_scope(_user(), grant_id)
    except NotInScope:
        abort(404)


def _confirm(given: SupportAccessGrant, error: str | None = None, status: int = 200):
    errors = [("confirm-heading", error)] if error else []
    return render_template(
        "console/support_grants/revoke.html",
        grant=given,
        state=grants.state(given),
        form=CsrfForm(),
        errors=errors,
        error_list=errors,
    ), status


@bp.get("/support-grants/<uuid:grant_id>/revoke")
@web.roles_required(Role.SCHOOL)
def confirm_support_grant_revoke(grant_id: uuid.UUID):
    return _confirm(_grant_or_404(grant_id))


@bp.post("/support-grants/<uuid:grant_id>/revoke")
@web.roles_required(Role.SCHOOL)
def revoke_support_grant(grant_id: uuid.UUID):
    given = _grant_or_404(grant_id)
    if not CsrfForm().validate_on_submit():
        return _confirm(given, "The form expired. Send it again.", 400)
    try:
        grants.revoke(given, _user())
    except grants.GrantError as exc:
        db.session.rollback()
        return _confirm(_grant_or_404(grant_id), next(iter(exc.errors.values())), 422)
    db.session.commit()
    flash(f"{given.agent_name} may no longer look at your record under this permission.", "success")
    return redirect(url_for("console.support_grants"), code=303)
