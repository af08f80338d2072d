"""The console's organisation page: what the company holds about an
organisation, the lawful basis of each register category there and, for
administrators (who set organisations' bases), a form saying whether it is a
public authority. The rule the form is refused on lives in
``app.register.authority``, shared with the API."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for

from app.accounts import web
from app.accounts.models import Role
from app.accounts.scoping import NotInScope
from app.console import services
from app.console.cases import signed_in_user
from app.console.register import RegisterForm
from app.console.views import bp
from app.extensions import db
from app.orgs.models import Organisation
from app.register import authority
from app.register.bases import bases_at
from app.register.errors import RegisterError


def _organisation_or_404(organisation_id: uuid.UUID) -> Organisation:
    try:
        return services.organisation_for(signed_in_user(), organisation_id)
    except NotInScope:
        abort(404)


def _page(organisation: Organisation, value: str | None = None, errors: dict[str, str] | None = None):
    user = signed_in_user()
    errors = errors or {}
    if value is None:
        value = authority.YES if organisation.public_authority else authority.NO
    return render_template(
        "console/organisation.html",
        organisation=organisation,
        members=services.member_schools(user, organisation),
        bases=bases_at(organisation),
        # Legitimate interests already in effect there (the register's, or set
        # before the rule) are flagged on the bases table.
        authority=authority.public_authority_of(organisation),
        can_edit=user.role is Role.ADMIN,
        form=RegisterForm(),
        public_authority=value,
        errors=errors,
        error_list=list(errors.items()),
    ), 422 if errors else 200


@bp.get("/organisations/<uuid:organisation_id>")
@web.login_required
def organisation(organisation_id: uuid.UUID):
    return _page(_organisation_or_404(organisation_id))


@bp.post("/organisations/<uuid:organisation_id>/public-authority")
@web.roles_required(Role.ADMIN)
def set_public_authority(organisation_id: uuid.UUID):
    # A missing or stale CSRF token never reaches here: the application's
    # CSRF check refuses the post first.
    found = _organisation_or_404(organisation_id)
    value = request.form.get(authority.PUBLIC_AUTHORITY, "")
    try:
        changed = authority.set_public_authority(found, value, signed_in_user())
    except RegisterError as exc:
        db.session.rollback()
        return _page(found, value, exc.errors)
    db.session.commit()
    if changed:
        message = f"{found.name} is {'now' if found.public_authority else 'no longer'} a public authority."
    else:
        message = "Nothing was changed."
    flash(message, "success")
    return redirect(url_for(".organisation", organisation_id=found.id), code=303)
