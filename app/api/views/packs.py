"""Response packs and download links over the API.

``POST /cases/<reference>/packs`` builds a new pack version (its job runs
after the commit); ``GET`` lists the versions; ``…/pdf`` and ``…/zip``
download a ready pack's files (audited). ``POST …/packs/<id>/links`` emails
a download link and, separately, its code to the school or the requester;
``/cases/<reference>/links`` lists the links and ``/links/<id>/revoke`` (or
``DELETE /links/<id>``) stops one working. Cases, packs and links of other
organisations are not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response

from app.accounts.scoping import NotInScope
from app.api.auth import current_user
from app.api.errors import ApiError
from app.api.pack_schemas import LinkCreateSchema, LinkListSchema, LinkSchema, PackListSchema, PackSchema
from app.api.routing import operation
from app.api.views import bp
from app.api.views.cases import case_in_scope as _case
from app.api.views.cases import run_action
from app.blobs.web import attachment
from app.exports import links, packs, transmission
from app.exports.models import DownloadLink, LinkAudience, ResponsePack
from app.extensions import db

T = TypeVar("T")
_CONFLICT = (409,)
_SEND_ERRORS = (409, 422)


def _act(action: Callable[[], T]) -> T:
    # Services raise LookupError for a pack or link that is not the case's.
    return run_action(action, not_found=(LookupError,))


def _pack(pack: ResponsePack) -> dict[str, Any]:
    return {
        **{name: getattr(pack, name) for name in PackSchema().fields if hasattr(pack, name)},
        "pdf_size": pack.pdf_blob.size if pack.pdf_blob else None,
        "zip_size": pack.zip_blob.size if pack.zip_blob else None,
        "error_message": packs.failure_message(pack.error_code),
    }


def _link(link: DownloadLink) -> dict[str, Any]:
    return {
        **{name: getattr(link, name) for name in LinkSchema().fields if hasattr(link, name)},
        "pack_version": link.pack.version,
        "state": links.state_of(link).value,
    }


def _pack_in(reference: str, pack_id: uuid.UUID) -> tuple[Any, ResponsePack]:
    case = _case(reference)
    try:
        return case, packs.pack_of(case, pack_id)
    except LookupError:
        raise ApiError(404) from None


def _link_in_scope(link_id: uuid.UUID) -> DownloadLink:
    try:
        return links.link_in_scope(current_user(), link_id)
    except NotInScope:
        raise ApiError(404) from None


@operation(
    bp,
    "/cases/<reference>/packs",
    "POST",
    summary="Build the response pack",
    tag="packs",
    response=PackSchema,
    status=202,
    errors=_CONFLICT,
)
def build_pack_view(reference: str) -> dict[str, Any]:
    """A new pack version, status building; the PDF and the zip are made by
    a job after the commit (poll the list). 409 unless the case is approved
    (or responded, for a rebuild) and no other build is under way."""
    case = _case(reference)
    user = current_user()
    pack = _act(lambda: packs.build_pack(case, user))
    db.session.refresh(pack)  # an inline build has already finished
    return _pack(pack)


@operation(
    bp,
    "/cases/<reference>/packs",
    "GET",
    summary="Response pack versions",
    tag="packs",
    response=PackListSchema,
)
def list_packs_view(reference: str) -> dict[str, Any]:
    """Every version, newest first, with its status, pages, items and file sizes."""
    return {"items": [_pack(pack) for pack in packs.packs_for(_case(reference))]}


def _download(reference: str, pack_id: uuid.UUID, kind: str) -> Response:
    case, pack = _pack_in(reference, pack_id)
    try:
        blob = packs.staff_download(case, pack, kind, current_user())
    except LookupError:
        raise ApiError(404) from None
    db.session.commit()  # the audit event, before the bytes go out
    return attachment(
        blob.id, filename=packs.file_name(case, pack, kind), content_type=blob.content_type, size=blob.size
    )


@operation(
    bp,
    "/cases/<reference>/packs/<uuid:pack_id>/pdf",
    "GET",
    summary="Download the pack's PDF",
    tag="packs",
    binary=("application/pdf",),
)
def download_pack_pdf_view(reference: str, pack_id: uuid.UUID) -> Response:
    """The response letter with the copy of the data. 404 unless the pack is
    ready (a destroyed pack's files are gone). Every download is audited."""
    return _download(reference, pack_id, "pdf")


@operation(
    bp,
    "/cases/<reference>/packs/<uuid:pack_id>/zip",
    "GET",
    summary="Download the pack's zip",
    tag="packs",
    binary=("application/zip",),
)
def download_pack_zip_view(reference: str, pack_id: uuid.UUID) -> Response:
    """The machine-readable copy: JSON, one CSV per category and a manifest
    of SHA-256 digests. 404 unless the pack is ready. Every download is audited."""
    return _download(reference, pack_id, "zip")


@operation(
    bp,
    "/cases/<reference>/packs/<uuid:pack_id>/links",
    "POST",
    summary="Email a download link to the school, the requester or another organisation",
    tag="packs",
    body=LinkCreateSchema,
    response=LinkSchema,
    status=201,
    errors=_SEND_ERRORS,
)
def send_pack_view(reference: str, pack_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    """Sends two emails: the link, and its 6-digit code on its own. Only the
    newest ready pack of an approved or responded case is sent (409
    otherwise). Sending to the requester moves an approved case to
    responded; sending to the school does not. Audience controller (a data
    portability request only, Art 20(2)): the link goes to the organisation
    named, its code to the requester to pass on, with their own link too."""
    _, pack = _pack_in(reference, pack_id)
    user = current_user()
    limits = {"days": body["days"], "max_downloads": body["max_downloads"]}
    if body["audience"] is LinkAudience.CONTROLLER:
        name, email = body["organisation_name"], body["organisation_email"]
        sent = _act(lambda: transmission.send_to_organisation(pack, user, name, email, **limits))
    elif body["organisation_name"] is not None or body["organisation_email"] is not None:
        message = "An organisation's name and address go with audience controller"
        raise ApiError(422, fields={"audience": [message]})
    else:
        sent = _act(lambda: links.send_pack(pack, body["audience"], user, **limits))
    return _link(sent.link)


@operation(
    bp, "/cases/<reference>/links", "GET", summary="Download links sent", tag="packs", response=LinkListSchema
)
def list_links_view(reference: str) -> dict[str, Any]:
    """Every link of the case, newest first, with its use and state. The
    tokens and codes themselves are never stored, so never shown."""
    return {"items": [_link(link) for link in links.links_for(_case(reference))]}


def _revoke(link_id: uuid.UUID) -> dict[str, Any]:
    link = _link_in_scope(link_id)
    user = current_user()
    _act(lambda: links.revoke(link, user))
    return _link(link)


@operation(
    bp,
    "/links/<uuid:link_id>/revoke",
    "POST",
    summary="Revoke a download link",
    tag="packs",
    response=LinkSchema,
)
def revoke_link_view(link_id: uuid.UUID) -> dict[str, Any]:
    """The link stops working at once. Revoking a revoked link changes nothing."""
    return _revoke(link_id)


@operation(
    bp, "/links/<uuid:link_id>", "DELETE", summary="Revoke a download link", tag="packs", response=LinkSchema
)
def delete_link_view(link_id: uuid.UUID) -> dict[str, Any]:
    """The same as ``POST /links/{link_id}/revoke``."""
    return _revoke(link_id)
