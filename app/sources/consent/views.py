"""The public withdrawal page, ``/consent/<token>``: the purposes a person
has agreed to, each with a Withdraw button. No account, no name shown; the
signed token is the key, so the page is never cached and sends its address
to no other site."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import InputRequired, Regexp

from app.extensions import db, limiter
from app.orgs.models import Organisation
from app.security import client_ip_key, configured_limit
from app.sources.consent import services
from app.sources.consent.links import person_for_token
from app.sources.consent.models import ConsentMethod
from app.sources.validation import FieldError

bp = Blueprint("consent", __name__, url_prefix="/consent")

_limit = limiter.limit(
    configured_limit("LIMIT_CONSENT_IP", "60 per hour"), key_func=client_ip_key
)


class WithdrawForm(FlaskForm):
    purpose = HiddenField(validators=[InputRequired(), Regexp(services.PURPOSE_PATTERN)])


@bp.after_request
def _private(response: Response) -> Response:
    # The app-wide Referrer-Policy (same-origin) already keeps the token from
    # other sites; no-referrer would make Flask-WTF refuse the form over HTTPS.
    response.headers["Cache-Control"] = "no-store"
    return response


class _UnknownLink(Exception):
    pass


@bp.errorhandler(_UnknownLink)
def _unknown(_error: _UnknownLink):
    return render_template("consent/unknown.html"), 404


def _person(token: str) -> services.Person:
    person = person_for_token(token)
    if person is None:
        raise _UnknownLink
    return person


def _page(token: str, person: services.Person, *, done: str | None = None, error: str | None = None):
    organisation = db.session.get(Organisation, person.organisation_id)
    states = services.current_state(person)
    return render_template(
        "consent/withdraw.html",
        token=token,
        organisation_name=organisation.name if organisation else "your school",
        granted=[s for s in states if s.granted],
        withdrawn=[s for s in states if not s.granted],
        form=WithdrawForm(formdata=None),
        done=done,
        error=error,
    ), (422 if error else 200)


@bp.get("/<token>")
@_limit
def withdrawal_page(token: str):
    return _page(token, _person(token), done=request.args.get("done"))


@bp.post("/<token>")
@_limit
def withdraw(token: str):
    person = _person(token)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _page(token, person, error="Choose a consent to withdraw, then press its button")
    try:
        services.withdraw(
            person,
            form.purpose.data or "",
            method=ConsentMethod.WEB,
            recorded_by="The person, through their withdrawal link",
        )
    except FieldError as exc:
        db.session.rollback()
        return _page(token, person, error=exc.message)
    db.session.commit()
    return redirect(url_for(".withdrawal_page", token=token, done="withdrawn"))
