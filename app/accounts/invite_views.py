"""Accepting an invitation: /console/invite/<token> -> choose a password ->
sign in, where a first sign-in enrols the authenticator app.

Registered on the accounts blueprint (``app.accounts.views``), so the pages
share its headers and rate-limit handling. The rules are in ``invites``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from app.accounts import invites, web
from app.accounts.forms import ChoosePasswordForm
from app.accounts.services import AccountError
from app.accounts.views import bp
from app.extensions import db, limiter
from app.letters.services import absolute_url
from app.security import client_ip_key, configured_limit

_invite_ip_limit = limiter.limit(
    configured_limit("LIMIT_INVITE_IP", "10 per 15 minutes"), key_func=client_ip_key, methods=["POST"]
)


def invite_link(token: str) -> str:
    """The emailed link, on the configured public address (never the Host header)."""
    return absolute_url("accounts.accept_invite", token=token)


def _invalid():
    # One page for unknown, used, replaced, withdrawn and expired links alike.
    return render_template("accounts/invite_invalid.html", hours=invites.INVITE_HOURS), 404


def _errors(form) -> list[tuple[str, str]]:
    return [(field.id, error) for field in form if field.errors for error in field.errors]


@bp.route("/invite/<token>", methods=["GET", "POST"])
@_invite_ip_limit
def accept_invite(token: str):
    if invites.find_live_invite(token) is None:
        return _invalid()
    form = ChoosePasswordForm()
    valid = form.validate_on_submit()
    errors = _errors(form)
    if valid:
        try:
            invites.accept_invite(token, form.password.data or "")
        except invites.InvalidInvite:
            db.session.rollback()
            return _invalid()
        except AccountError as exc:
            db.session.rollback()
            errors = [(form.password.id, exc.message)]
        else:
            db.session.commit()
            # Whoever was signed in on this browser is not the new person.
            web.clear_cookie_session()
            flash(
                "Your password is set. Sign in, then set up an authenticator app on your phone.",
                "success",
            )
            return redirect(url_for(".sign_in"))
    return render_template("accounts/invite_accept.html", form=form, errors=errors, token=token)
