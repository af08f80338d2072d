"""Console pages for an organisation's own lawful basis for a register
category: whoever sees the organisation reads which basis applies there and
whose it is; administrators set it or go back to the trust's or the
register's. The rules live in ``app.register.bases``, shared with the API."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for

from app.accounts import web
from app.accounts.models import Role
from app.accounts.scoping import NotInScope
from app.console import services
from app.console.cases import signed_in_user
from app.console.register import RegisterForm, entry_or_404
from app.console.views import bp
from app.extensions import db
from app.orgs.models import Organisation
from app.register import bases
from app.register.models import LawfulBasis, RegisterEntry
from app.register.services import MAX_TEXT, RegisterError


def _organisation_or_404(organisation_id: uuid.UUID) -> Organisation:
    try:
        return services.organisation_for(signed_in_user(), organisation_id)
    except NotInScope:
        abort(404)


def _found(organisation_id: uuid.UUID, entry_id: uuid.UUID) -> tuple[Organisation, RegisterEntry]:
    # Scoping first, as on every organisation page: what lies outside the
    # user's organisations is not found, whatever else the address names.
    return _organisation_or_404(organisation_id), entry_or_404(entry_id)


def _row(organisation: Organisation, entry: RegisterEntry) -> bases.BasisRow:
    return next(row for row in bases.bases_at(organisation) if row.entry.id == entry.id)


def _page(
    organisation: Organisation,
    entry: RegisterEntry,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
):
    row = _row(organisation, entry)
    errors = errors or {}
    return render_template(
        "console/organisation_basis.html",
        organisation=organisation,
        entry=entry,
        row=row,
        fallback_from_trust=bases.fallback_of(organisation, entry).set_by is not None,
        values=values or {bases.BASIS: row.effective.basis.value, bases.WORDING: row.effective.wording},
        errors=errors,
        error_list=list(errors.items()),
        form=RegisterForm(),
        can_edit=signed_in_user().role is Role.ADMIN,
        max_text=MAX_TEXT,
        choices=[(basis.value, basis.label) for basis in LawfulBasis],
    ), status


def _done(organisation: Organisation, entry: RegisterEntry, message: str | None):
    db.session.commit()
    flash(message or "Nothing was changed.", "success")
    return redirect(url_for(".organisation_basis", organisation_id=organisation.id, entry_id=entry.id))


@bp.get("/organisations/<uuid:organisation_id>/bases/<uuid:entry_id>")
@web.login_required
def organisation_basis(organisation_id: uuid.UUID, entry_id: uuid.UUID):
    return _page(*_found(organisation_id, entry_id))


@bp.post("/organisations/<uuid:organisation_id>/bases/<uuid:entry_id>")
@web.roles_required(Role.ADMIN)
def set_organisation_basis(organisation_id: uuid.UUID, entry_id: uuid.UUID):
    organisation, entry = _found(organisation_id, entry_id)
    # A missing or stale CSRF token never reaches here: the application's
    # CSRF check refuses the post first, with its own page (400).
    values = {name: request.form.get(name, "") for name in bases.FIELDS}
    try:
        changed = bases.set_basis(organisation, entry, values, signed_in_user())
    except RegisterError as exc:
        db.session.rollback()
        return _page(organisation, entry, values, exc.errors, 422)
    if bases.own_basis(organisation, entry) is not None:
        message = f"Lawful basis saved for {organisation.name}." if changed else None
    else:
        # What was saved is what the organisation inherits: nothing of its
        # own is kept, so the trust's or the register's later changes reach it.
        whose = _whose(organisation, entry)
        message = (
            f"{organisation.name} now uses {whose} basis."
            if changed
            else f"Nothing was changed: {organisation.name} still uses {whose} basis."
        )
    return _done(organisation, entry, message)


@bp.post("/organisations/<uuid:organisation_id>/bases/<uuid:entry_id>/clear")
@web.roles_required(Role.ADMIN)
def clear_organisation_basis(organisation_id: uuid.UUID, entry_id: uuid.UUID):
    organisation, entry = _found(organisation_id, entry_id)
    try:
        cleared = bases.clear_basis(organisation, entry, signed_in_user())
    except RegisterError as exc:
        # Going back would put legitimate interests in effect at a public
        # authority: the refusal concerns the button, so the summary links there.
        db.session.rollback()
        return _page(organisation, entry, errors={"clear-basis": exc.errors[bases.BASIS]}, status=422)
    message = f"{organisation.name} now uses {_whose(organisation, entry)} basis."
    return _done(organisation, entry, message if cleared else None)


def _whose(organisation: Organisation, entry: RegisterEntry) -> str:
    return "its trust's" if bases.fallback_of(organisation, entry).set_by else "the register's"
