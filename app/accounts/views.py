"""Signing in and out of the console, and resetting a forgotten password.

Flow: /console/sign-in (email and password) -> /console/sign-in/code (TOTP
or recovery code), or /console/sign-in/set-up the first time (enrol an
authenticator app, receive recovery codes) -> where the user was going.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from app.accounts import resets, signin, totp, web
from app.accounts.forms import CodeForm, EnrolForm, NewPasswordForm, ResetRequestForm, SignInForm, SignOutForm
from app.accounts.services import AccountError
from app.extensions import db, limiter
from app.letters.services import absolute_url
from app.security import client_ip_key, configured_limit, safe_next, too_many_attempts

bp = Blueprint("accounts", __name__, url_prefix="/console")

SIGN_IN_REFUSED = (
    "Enter a correct email address and password. After several wrong attempts an account is locked "
    "for 15 minutes: wait, or reset your password."
)
CODE_REFUSED = "Enter a correct code from your authenticator app, or an unused recovery code"


_ip_limit = limiter.limit(
    configured_limit("LIMIT_SIGN_IN_IP", "30 per 5 minutes"), key_func=client_ip_key, methods=["POST"]
)
_account_limit = limiter.limit(
    configured_limit("LIMIT_SIGN_IN_ACCOUNT", "10 per 15 minutes"),
    key_func=web.account_key_from_form,
    methods=["POST"],
)
_code_account_limit = limiter.limit(
    configured_limit("LIMIT_CODE_ACCOUNT", "10 per 15 minutes"),
    key_func=web.account_key_from_pending,
    methods=["POST"],
)
_reset_ip_limit = limiter.limit(
    configured_limit("LIMIT_RESET_IP", "10 per 15 minutes"), key_func=client_ip_key, methods=["POST"]
)


bp.register_error_handler(429, too_many_attempts)


@bp.context_processor
def _inject_user() -> dict[str, object]:
    return {"current_user": web.current_user(), "sign_out_form": SignOutForm()}


@bp.after_request
def _no_store(response):
    return web.no_store(response)


def _home() -> str:
    return url_for("console.home")


def _after_sign_in() -> str:
    return safe_next(session.pop(web.NEXT_KEY, None), _home())


def _error_list(form) -> list[tuple[str, str]]:
    """(field id, message) pairs, in field order, for the error summary."""
    return [(field.id, error) for field in form if field.errors for error in field.errors]


@bp.route("/sign-in", methods=["GET", "POST"])
@_ip_limit
@_account_limit
def sign_in():
    if web.current_user() is not None:
        return redirect(_home())
    form = SignInForm()
    if not form.is_submitted():
        form.next.data = safe_next(request.args.get("next"), "")
    valid = form.validate_on_submit()
    errors = _error_list(form)
    if valid:
        result = signin.sign_in_with_password(
            form.email.data or "", form.password.data or "", previous_token=web.session_token()
        )
        db.session.commit()
        if result.ok:
            assert result.token is not None
            web.start_cookie_session(result.token)
            session[web.NEXT_KEY] = safe_next(form.next.data, _home())
            return redirect(url_for(".enrol" if result.needs_enrolment else ".code"))
        web.forget_session_token()  # whatever session it named has ended
        errors = [("email", SIGN_IN_REFUSED)]
    return render_template("accounts/sign_in.html", form=form, errors=errors)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@_ip_limit
@_code_account_limit
def code():
    pending = web.pending_sign_in()
    if pending is None:
        return redirect(url_for(".sign_in"))
    if not pending.user.has_second_factor:
        return redirect(url_for(".enrol"))
    form = CodeForm()
    valid = form.validate_on_submit()
    errors = _error_list(form)
    if valid:
        result = signin.sign_in_with_code(pending, form.code.data or "")
        db.session.commit()
        if result.ok:
            assert result.token is not None
            web.start_cookie_session(result.token, keep_next=True)
            if result.method == "recovery_code":
                flash(
                    "You used a recovery code. Each code works once: make new ones from "
                    "Your account if you are running low.",
                    "info",
                )
            return redirect(_after_sign_in())
        if result.outcome is signin.Outcome.LOCKED:
            return _start_again()
        errors = [("code", CODE_REFUSED)]
    return render_template("accounts/code.html", form=form, errors=errors)


def _start_again():
    web.clear_cookie_session()
    flash("Sign in again. After several wrong attempts an account is locked for 15 minutes.", "info")
    return redirect(url_for(".sign_in"))


@bp.route("/sign-in/set-up", methods=["GET", "POST"])
@_ip_limit
@_code_account_limit
def enrol():
    pending = web.pending_sign_in()
    if pending is None:
        return redirect(url_for(".sign_in"))
    user = pending.user
    if user.has_second_factor:
        return redirect(url_for(".code"))
    form = EnrolForm()
    valid = form.validate_on_submit()
    errors = _error_list(form)
    if valid:
        result = signin.enrol_and_sign_in(pending, form.code.data or "")
        db.session.commit()
        if result.ok:
            assert result.token is not None
            web.start_cookie_session(result.token, keep_next=True)
            return render_template(
                "accounts/recovery_codes.html",
                codes=result.recovery_codes,
                continue_to=_after_sign_in(),
                first_time=True,
            )
        if result.outcome is signin.Outcome.LOCKED:
            return _start_again()
        errors = [("code", "Enter the 6-digit code your authenticator app shows now")]
    secret = totp.start_enrolment(user)
    db.session.commit()
    uri = totp.provisioning_uri(user)
    return render_template(
        "accounts/enrol.html",
        form=form,
        errors=errors,
        qr_svg=totp.qr_svg(uri),
        secret=totp.grouped_secret(secret),
        account=user.email,
        issuer=totp.ISSUER,
    )


@bp.post("/sign-out")
def sign_out():
    form = SignOutForm()
    if form.validate_on_submit():
        signin.sign_out(web.session_token())
        db.session.commit()
    web.clear_cookie_session()
    flash("You have signed out.", "info")
    return redirect(url_for(".sign_in"))


@bp.route("/password-reset", methods=["GET", "POST"])
@_reset_ip_limit
@limiter.limit(
    configured_limit("LIMIT_RESET_ACCOUNT", "5 per hour"),
    key_func=web.account_key_from_form,
    methods=["POST"],
)
def reset_request():
    form = ResetRequestForm()
    valid = form.validate_on_submit()
    errors = _error_list(form)
    if valid:
        resets.request_password_reset(form.email.data or "", _reset_link)
        db.session.commit()
        return render_template("accounts/reset_sent.html")
    return render_template("accounts/reset_request.html", form=form, errors=errors)


def _reset_link(token: str) -> str:
    # A configured public address, when there is one, rather than the Host
    # header of the request (which an attacker chooses).
    return absolute_url("accounts.reset_password", token=token)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@_reset_ip_limit
def reset_password(token: str):
    if resets.find_live_link(token) is None:
        return render_template("accounts/reset_invalid.html"), 404
    form = NewPasswordForm()
    valid = form.validate_on_submit()
    errors = _error_list(form)
    if valid:
        try:
            resets.complete_password_reset(token, form.password.data or "")
        except resets.InvalidResetLink:
            db.session.rollback()
            return render_template("accounts/reset_invalid.html"), 404
        except AccountError as exc:
            db.session.rollback()
            errors = [("password", exc.message)]
        else:
            db.session.commit()
            web.clear_cookie_session()
            flash("Your password has been changed. Sign in with your new password.", "success")
            return redirect(url_for(".sign_in"))
    return render_template("accounts/reset_password.html", form=form, errors=errors, token=token)


from app.accounts import invite_views as _invite_views  # noqa: E402, F401  (accepting an invitation)
