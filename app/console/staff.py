"""Console pages for administrators to look after staff accounts: everyone
with their state (invited, active, disabled, locked), inviting a member of
staff by email, sending again or withdrawing an invitation not accepted
yet, and inviting a disabled account's owner back. The rules live in
``app.accounts.invites``, shared with the command line.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from app.accounts import invites, web
from app.accounts.invite_views import invite_link
from app.accounts.models import Role, User
from app.accounts.services import AccountError, get_user, list_users
from app.console.services import organisations_for
from app.console.views import bp
from app.db import utcnow
from app.extensions import db
from app.mail.services import category_label, latest_staff_mail

FIELDS = ("name", "email", "role", "organisation")
ROLE_CHOICES = (
    (Role.CASEWORKER, "Caseworker", "Works on every organisation's requests."),
    (Role.SCHOOL, "School staff", "Sees only their school's or trust's requests."),
    (Role.ADMIN, "Administrator", "Everything a caseworker does, and looks after staff accounts."),
)
EXPIRED_FORM = "The form expired. Send it again."


class CsrfForm(FlaskForm):
    """Only the CSRF token: the service checks the fields, as for the command line."""


def _user() -> User:
    user = web.current_user()
    assert user is not None  # guaranteed by roles_required
    return user


def _page(errors: dict[str, str] | None = None, values: dict[str, str] | None = None, status: int = 200):
    users = list_users()
    waiting = invites.waiting_invites([u.id for u in users])
    mail = latest_staff_mail(u.id for u in users)
    errors = errors or {}
    return render_template(
        "console/staff/list.html",
        users=users,
        waiting=waiting,
        mail=mail,
        mail_label=category_label,
        state=lambda user: invites.account_state(user, waiting),
        roles=[{"value": r.value, "label": label, "hint": hint} for r, label, hint in ROLE_CHOICES],
        organisations=[("", "Choose a school or trust")]
        + [(str(o.id), o.name) for o in organisations_for(_user())],
        form=CsrfForm(),
        errors=errors,
        error_list=[(name, message) for name, message in errors.items() if name in FIELDS],
        values=values or {},
        now=utcnow(),
    ), status


@bp.get("/staff")
@web.roles_required(Role.ADMIN)
def staff():
    return _page()


def _organisation_id(values: dict[str, str]) -> uuid.UUID | None:
    """The chosen organisation, for school staff only (others belong to none)."""
    if values["role"] != Role.SCHOOL.value or not values["organisation"]:
        return None
    try:
        return uuid.UUID(values["organisation"])
    except ValueError:
        raise AccountError("organisation", "Choose the school or trust from the list") from None


@bp.post("/staff/invite")
@web.roles_required(Role.ADMIN)
def invite_staff():
    values = {name: request.form.get(name, "") for name in FIELDS}
    if not CsrfForm().validate_on_submit():
        return _page({"name": EXPIRED_FORM}, values, 400)
    if not values["role"]:
        return _page({"role": "Choose what they will do"}, values, 422)
    try:
        invited = invites.invite_user(
            values["email"],
            values["name"],
            values["role"],
            _user(),
            invite_link,
            organisation_id=_organisation_id(values),
        )
    except AccountError as exc:
        db.session.rollback()
        return _page({exc.field: exc.message}, values, 422)
    db.session.commit()
    flash(
        f"Invitation sent to {invited.user.email}. The link works for {invites.INVITE_HOURS} hours.",
        "success",
    )
    return redirect(url_for("console.staff"), code=303)


def _invited_or_404(user_id: uuid.UUID) -> User:
    user = get_user(user_id)
    if user is None or not invites.awaiting_acceptance(user):
        abort(404)
    return user


@bp.post("/staff/<uuid:user_id>/resend")
@web.roles_required(Role.ADMIN)
def resend_staff_invite(user_id: uuid.UUID):
    user = _invited_or_404(user_id)
    if not CsrfForm().validate_on_submit():
        flash(EXPIRED_FORM, "error")
        return redirect(url_for("console.staff"), code=303)
    invites.resend_invite(user, _user(), invite_link)
    db.session.commit()
    flash(f"A new invitation has been sent to {user.email}. Earlier links no longer work.", "success")
    return redirect(url_for("console.staff"), code=303)


@bp.post("/staff/<uuid:user_id>/invite-back")
@web.roles_required(Role.ADMIN)
def invite_staff_back(user_id: uuid.UUID):
    """A disabled account's owner invited again, with the same name, role
    and organisation; every credential of before is cleared first."""
    user = get_user(user_id)
    if user is None or user.is_active or invites.awaiting_acceptance(user):
        abort(404)
    if not CsrfForm().validate_on_submit():
        flash(EXPIRED_FORM, "error")
        return redirect(url_for("console.staff"), code=303)
    try:
        invites.invite_user(
            user.email, user.name, user.role, _user(), invite_link, organisation_id=user.organisation_id
        )
    except AccountError as exc:  # e.g. their organisation no longer takes this role
        db.session.rollback()
        flash(f"{user.email} could not be invited back: {exc.message}.", "error")
        return redirect(url_for("console.staff"), code=303)
    db.session.commit()
    flash(
        f"{user.email} has been invited back. Their old password, authenticator, recovery codes and API "
        f"tokens no longer work; the link works for {invites.INVITE_HOURS} hours.",
        "success",
    )
    return redirect(url_for("console.staff"), code=303)


@bp.post("/staff/<uuid:user_id>/withdraw")
@web.roles_required(Role.ADMIN)
def withdraw_staff_invite(user_id: uuid.UUID):
    user = _invited_or_404(user_id)
    if not CsrfForm().validate_on_submit():
        flash(EXPIRED_FORM, "error")
        return redirect(url_for("console.staff"), code=303)
    invites.withdraw_invite(user, _user())
    db.session.commit()
    flash(f"The invitation to {user.email} has been withdrawn: its link no longer works.", "success")
    return redirect(url_for("console.staff"), code=303)
