"""Console pages for building the response pack and sending its download links.

One page per case (``/console/cases/<id>/pack``): build or rebuild, every
pack version with its status, pages and items, direct downloads for staff
(audited), "send to the school" and "send to the requester" for the newest
ready pack, the links sent with their expiry and use, and revoke. When the
school delivers the response itself, "mark as responded" records it. The
page refreshes itself while a build is queued or running.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import abort, make_response, render_template, request
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, InputRequired

from app.accounts import web
from app.blobs.web import attachment
from app.cases.models import Case, CaseStatus, RequestType
from app.console.actions import SummaryPage, capital
from app.console.cases import case_or_404 as _case
from app.console.cases import signed_in_user as _user
from app.console.views import bp
from app.exports import links, packs, transmission
from app.exports.models import LinkAudience, PackStatus
from app.extensions import db
from app.sources.validation import FieldError

REFRESH_SECONDS = 5
_HEADING = "pack-heading"


class ActionForm(FlaskForm):
    """A button that needs nothing but the CSRF token."""


class SendForm(FlaskForm):
    audience = HiddenField(validators=[InputRequired(), AnyOf([a.value for a in LinkAudience])])


def _page(
    case: Case,
    errors: list[tuple[str, str]] | None = None,
    status: int = 200,
    organisation: dict[str, str] | None = None,
):
    versions = packs.packs_for(case)
    newest_ready = packs.latest_ready(case)
    building = any(pack.status is PackStatus.BUILDING for pack in versions)
    case_links = links.links_for(case)
    response = make_response(
        render_template(
            "console/packs/pack.html",
            case=case,
            packs=versions,
            newest_ready=newest_ready,
            links=[(link, links.state_of(link)) for link in case_links],
            failure_message=packs.failure_message,
            can_build=case.status in packs.BUILDABLE and packs.build_in_progress(case) is None,
            can_send=newest_ready is not None and case.status in links.SENDABLE,
            can_mark_responded=newest_ready is not None and case.status is CaseStatus.APPROVED,
            can_transmit=case.request_type is RequestType.PORTABILITY,
            organisation=organisation or requested_destination(case),
            refresh=REFRESH_SECONDS if building else None,
            form=ActionForm(),
            errors=errors or [],
        ),
        status,
    )
    if building:
        # As on the gather page: the Refresh header, no script.
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


def requested_destination(case: Case) -> dict[str, str]:
    """The "send it to another organisation" form's values before staff type
    anything: where the requester asked for the data to go, if they did."""
    return {
        "organisation_name": case.destination_name or "",
        "organisation_email": case.destination_email or "",
    }


@bp.get("/cases/<uuid:case_id>/pack")
@web.login_required
def case_pack(case_id: uuid.UUID):
    return _page(_case(case_id))


_PAGE = SummaryPage(show=_page, heading=_HEADING, endpoint="console.case_pack", load=_case)


def _act(case_id: uuid.UUID, form: FlaskForm, action: Callable[[Case], Any], done: str):
    # Every problem is shown under the page's heading: its forms are buttons.
    bad_input = {FieldError: lambda case, exc: _page(case, [(_HEADING, capital(exc.message))], 422)}
    return _PAGE.act(case_id, form, action, done, refusals=bad_input, not_found=(LookupError,))


@bp.post("/cases/<uuid:case_id>/pack/build")
@web.login_required
def case_pack_build(case_id: uuid.UUID):
    user = _user()
    return _act(case_id, ActionForm(), lambda case: packs.build_pack(case, user), "The pack is being built.")


@bp.post("/cases/<uuid:case_id>/pack/<uuid:pack_id>/send")
@web.login_required
def case_pack_send(case_id: uuid.UUID, pack_id: uuid.UUID):
    user = _user()
    form = SendForm()
    to_school = form.audience.data == LinkAudience.SCHOOL.value
    done = (
        "The link and its code were emailed to the school's data protection contact."
        if to_school
        else "The link and its code were emailed to the requester. The case is now responded."
    )
    return _act(
        case_id,
        form,
        lambda case: links.send_pack(packs.pack_of(case, pack_id), form.audience.data, user),
        done,
    )


@bp.post("/cases/<uuid:case_id>/pack/<uuid:pack_id>/transmit")
@web.login_required
def case_pack_transmit(case_id: uuid.UUID, pack_id: uuid.UUID):
    """Art 20(2): the newest pack to the organisation the requester named;
    a problem with the name or address is shown against its field, with
    what was typed kept."""
    user = _user()
    typed = {name: request.form.get(name, "") for name in ("organisation_name", "organisation_email")}

    def bad_fields(case: Case, exc: FieldError):
        found = [(field, capital(message)) for field, messages in exc.errors.items() for message in messages]
        return _page(case, found, 422, typed)

    return _PAGE.act(
        case_id,
        ActionForm(),
        lambda case: transmission.send_to_organisation(
            packs.pack_of(case, pack_id), user, typed["organisation_name"], typed["organisation_email"]
        ),
        "The link was emailed to the organisation; its code went to the requester to pass on, with "
        "their own link. The case is now responded.",
        refusals={FieldError: bad_fields},
        not_found=(LookupError,),
    )


@bp.post("/cases/<uuid:case_id>/pack/responded")
@web.login_required
def case_pack_responded(case_id: uuid.UUID):
    user = _user()
    return _act(
        case_id,
        ActionForm(),
        lambda case: packs.mark_responded(case, user),
        "The case is marked as responded.",
    )


@bp.post("/cases/<uuid:case_id>/links/<uuid:link_id>/revoke")
@web.login_required
def case_link_revoke(case_id: uuid.UUID, link_id: uuid.UUID):
    user = _user()

    def revoke(case: Case) -> None:
        link = links.link_in_scope(user, link_id)
        if link.case_id != case.id:
            raise LookupError("no such link")
        links.revoke(link, user)

    return _act(case_id, ActionForm(), revoke, "The link was revoked. It no longer works.")


@bp.get("/cases/<uuid:case_id>/pack/<uuid:pack_id>/<kind>")
@web.login_required
def case_pack_download(case_id: uuid.UUID, pack_id: uuid.UUID, kind: str):
    found = _case(case_id)
    try:
        pack = packs.pack_of(found, pack_id)
        blob = packs.staff_download(found, pack, kind, _user())
    except LookupError:
        abort(404)
    db.session.commit()  # the audit event, before the bytes go out
    return attachment(
        blob.id,
        filename=packs.file_name(found, pack, kind),
        content_type=blob.content_type,
        size=blob.size,
    )
