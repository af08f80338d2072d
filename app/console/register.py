"""Console pages for the processing register: everyone reads it (the letters
cite it), admins correct it. The rules live in ``app.register.services``."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from app.accounts import web
from app.accounts.models import Role
from app.console.views import bp
from app.extensions import db
from app.register import services
from app.register.models import LawfulBasis, RegisterEntry


class RegisterForm(FlaskForm):
    """Only the CSRF token: the fields are checked by the service, which the
    API shares, so both answer with the same messages."""


def _user():
    user = web.current_user()
    assert user is not None  # guaranteed by login_required
    return user


def entry_or_404(entry_id: uuid.UUID) -> RegisterEntry:
    try:
        return services.entry(entry_id)
    except LookupError:
        abort(404)


@bp.get("/register")
@web.login_required
def register():
    return render_template(
        "console/register/list.html",
        entries=services.entries(),
        missing=services.missing_categories(),
        can_edit=_user().role is Role.ADMIN,
    )


def _entry_page(entry: RegisterEntry, values=None, errors=None, status: int = 200):
    values = values or {
        name: "\n".join(getattr(entry, name)) if name in services.LIST_FIELDS else getattr(entry, name) or ""
        for name in services.EDITABLE
        if name != services.PROVIDED
    } | {services.PROVIDED: services.YES if entry.provided_by_person else services.NO}
    return render_template(
        "console/register/entry.html",
        entry=entry,
        values=values,
        errors=errors or {},
        error_list=[(name, message) for name, message in (errors or {}).items()],
        form=RegisterForm(),
        can_edit=_user().role is Role.ADMIN,
        max_text=services.MAX_TEXT,
        bases=[(basis.value, basis.label) for basis in LawfulBasis],
    ), status


@bp.get("/register/<uuid:entry_id>")
@web.login_required
def register_entry(entry_id: uuid.UUID):
    return _entry_page(entry_or_404(entry_id))


@bp.post("/register/<uuid:entry_id>")
@web.login_required
@web.roles_required(Role.ADMIN)
def update_register_entry(entry_id: uuid.UUID):
    entry = entry_or_404(entry_id)
    form = RegisterForm()
    values = {name: request.form.get(name, "") for name in services.EDITABLE}
    if not form.validate_on_submit():
        return _entry_page(entry, values, {"title": "The form expired: send it again"}, 400)
    try:
        changed = services.update_entry(entry, values, _user())
    except services.RegisterError as exc:
        db.session.rollback()
        return _entry_page(entry, values, exc.errors, 422)
    db.session.commit()
    flash("Register entry updated." if changed else "Nothing was changed.", "success")
    return redirect(url_for(".register_entry", entry_id=entry.id))
