"""Console pages: the case list, organisations and the user's account.

Views parse input, call one service and render. Every page needs a full
sign-in (password and second factor); organisation pages are scoped.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.accounts import services as accounts
from app.accounts import totp, web
from app.accounts.forms import ChangePasswordForm, ConfirmPasswordForm, SignOutForm
from app.accounts.scoping import NotInScope, sees_every_organisation
from app.api.services import page_number
from app.console import services
from app.extensions import db, limiter
from app.security import client_ip_key, configured_limit, too_many_attempts

bp = Blueprint("console", __name__, url_prefix="/console")

_reauth_limit = limiter.limit(
    configured_limit("LIMIT_REAUTH_IP", "10 per 15 minutes"),
    key_func=client_ip_key,
    methods=["POST"],
)


bp.register_error_handler(429, too_many_attempts)


@bp.context_processor
def _inject_user() -> dict[str, object]:
    return {"current_user": web.current_user(), "sign_out_form": SignOutForm()}


@bp.after_request
def _no_store(response):
    return web.no_store(response)


@bp.errorhandler(404)
def _not_found(_error):
    return render_template("console/not_found.html"), 404


def _user():
    user = web.current_user()
    assert user is not None  # guaranteed by login_required
    return user


@bp.get("/")
@web.login_required
def home():
    """The case list: ``?show=answered`` for the answered and ended ones,
    ``?page=N``; ``?reference=…`` opens that case, or says why it cannot."""
    user = _user()
    error, status = None, 200
    if "reference" in request.args:
        reference = request.args["reference"]
        if not reference.strip():
            error, status = "Enter a case reference, like SAR-2026-000123", 422
        else:
            try:
                found = services.find_case(user, reference)
            except NotInScope:
                error, status = f"There is no case {reference.strip()} among your organisations' cases", 404
            else:
                return redirect(url_for(".case", case_id=found.id), code=303)
    return render_template(
        "console/home.html",
        cases=services.case_list(
            user, answered=request.args.get("show") == "answered", page=page_number(request.args.get("page"))
        ),
        scope=services.scope_description(user),
        undelivered=services.undelivered_mail(user),
        undelivered_staff=services.undelivered_staff_mail(user),
        reference=request.args.get("reference", ""),
        reference_error=error,
    ), status


@bp.get("/organisations")
@web.login_required
def organisations():
    user = _user()
    return render_template(
        "console/organisations.html",
        organisations=services.organisations_for(user),
        sees_all=sees_every_organisation(user),
    )


def _account_page(password_form=None, codes_form=None, errors=None, status=200):
    user = _user()
    return render_template(
        "console/account.html",
        password_form=password_form or ChangePasswordForm(formdata=None),
        codes_form=codes_form or ConfirmPasswordForm(formdata=None, prefix="codes"),
        errors=errors or [],
        codes_left=totp.recovery_codes_left(user),
    ), status


@bp.get("/account")
@web.login_required
def account():
    return _account_page()


def _errors(form) -> list[tuple[str, str]]:
    return [(field.id, error) for field in form if field.errors for error in field.errors]


@bp.post("/account/password")
@web.login_required
@_reauth_limit
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _account_page(password_form=form, errors=_errors(form))
    staff_session = web.current_staff_session()
    assert staff_session is not None
    try:
        accounts.change_password(
            _user(),
            form.current_password.data or "",
            form.new_password.data or "",
            keep_session=staff_session.id,
        )
    except accounts.AccountError as exc:
        db.session.rollback()
        field = form.current_password if exc.field == "current_password" else form.new_password
        return _account_page(password_form=form, errors=[(field.id, exc.message)])
    db.session.commit()
    flash("Your password has been changed. You have been signed out everywhere else.", "success")
    return redirect(url_for(".account"))


@bp.post("/account/recovery-codes")
@web.login_required
@_reauth_limit
def recovery_codes():
    form = ConfirmPasswordForm(prefix="codes")
    if not form.validate_on_submit():
        return _account_page(codes_form=form, errors=_errors(form))
    try:
        codes = accounts.new_recovery_codes(_user(), form.password.data or "")
    except accounts.AccountError as exc:
        db.session.rollback()
        return _account_page(codes_form=form, errors=[(form.password.id, exc.message)])
    db.session.commit()
    return render_template(
        "accounts/recovery_codes.html", codes=codes, continue_to=url_for(".account"), first_time=False
    )


from app.console import cases as _cases  # noqa: E402, F401  (registers the case pages on ``bp``)
from app.console import collect as _collect  # noqa: E402, F401  (registers the find-and-gather pages on ``bp``)
from app.console import consent_withdrawal as _consent_withdrawal  # noqa: E402, F401  (consents withdrawn)
from app.console import erasure as _erasure  # noqa: E402, F401  (erasure plan, execution, certificate)
from app.console import organisation as _organisation  # noqa: E402, F401  (an organisation, and its public authority flag)
from app.console import organisation_bases as _organisation_bases  # noqa: E402, F401  (an organisation's own basis)
from app.console import packs as _packs  # noqa: E402, F401  (response pack and download links)
from app.console import rectification as _rectification  # noqa: E402, F401  (corrections of a rectification case)
from app.console import register as _register  # noqa: E402, F401  (processing register)
from app.console import reopen as _reopen  # noqa: E402, F401  (reopening the search from review)
from app.console import reports as _reports  # noqa: E402, F401  (dashboard and request register)
from app.console import restriction as _restriction  # noqa: E402, F401  (restriction, objections, recipients)
from app.console import review as _review  # noqa: E402, F401  (review of collected items)
from app.console import staff as _staff  # noqa: E402, F401  (staff accounts and invitations, for administrators)
from app.console import support_grants as _support_grants  # noqa: E402, F401  (support-access permissions)
