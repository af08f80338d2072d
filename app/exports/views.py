"""Public pages of the secure download links (``/download/<token>``).

The flow: the link opens a page asking for the 6-digit code from the
second email (``GET``); the code is posted back (``POST``), and once it is
accepted this browser may download for ``VERIFIED_FOR`` minutes, which the
signed session cookie remembers per link. The page then offers the PDF and
the zip, each a button (``POST /download/<token>/<pdf|zip>``): a download
spends one of the link's limited downloads, so it must not be something a
link prefetcher or a reload can trigger. A refused link gets a page saying
why (unknown, expired, used up, withdrawn, replaced, locked), never which request it
was for. A link whose pack a newer version replaced says so (410), and
to ask the sender for the new link. Every view, code attempt and download
is audited by ``app.exports.links``, and a download access-logged.

Headers: never cached; pages send a Referer only to this site
("same-origin", the site default, which Flask-WTF's HTTPS check of form
posts needs; no other site ever sees the token); the files themselves
"no-referrer", as attachments, never sniffed.
"""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException

from app.blobs.web import attachment
from app.cases.models import Case, RequestType
from app.exports import links
from app.exports.audience import page_wording
from app.exports.links import CodeOutcome, LinkState
from app.exports.models import DownloadLink, LinkAudience
from app.exports.packs import FILE_KINDS, file_name, pack_file
from app.extensions import db, limiter
from app.security import client_ip_key, configured_limit, too_many_attempts

bp = Blueprint("downloads", __name__)
bp.register_error_handler(429, too_many_attempts)

CODE_FIELD = "code"
VERIFIED_FOR = 10 * 60  # seconds a browser may download after the right code
_SESSION_KEY = "download_links"
# What each refused state answers: "gone" for the ones that will not come
# back, "forbidden" for a lock (the link exists but will not open).
_STATUS = {
    LinkState.EXPIRED: 410,
    LinkState.EXHAUSTED: 410,
    LinkState.REVOKED: 410,
    LinkState.SUPERSEDED: 410,
    LinkState.LOCKED: 403,
}


_view_limit = limiter.limit(
    configured_limit("LIMIT_DOWNLOAD_VIEW_IP", "120 per hour"), key_func=client_ip_key
)
_code_limit = limiter.limit(
    configured_limit("LIMIT_DOWNLOAD_CODE_IP", "30 per hour"), key_func=client_ip_key, methods=["POST"]
)
_file_limit = limiter.limit(configured_limit("LIMIT_DOWNLOAD_FILE_IP", "30 per hour"), key_func=client_ip_key)


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _unknown() -> HTTPException:
    return HTTPException(response=Response(render_template("downloads/unknown.html"), 404))


def _refused(state: LinkState) -> tuple[str, int]:
    return render_template("downloads/refused.html", state=state.value), _STATUS[state]


def _link(token: str) -> DownloadLink:
    link = links.link_for_token(token)
    if link is None:
        links.view_link(token)  # audits the unknown token
        db.session.commit()
        raise _unknown()
    return link


# -- the code, remembered per link in the signed session cookie ---------------


def _verified(link: DownloadLink) -> bool:
    until = (session.get(_SESSION_KEY) or {}).get(str(link.id))
    return isinstance(until, int | float) and until > time.time()


def _remember(link: DownloadLink) -> None:
    now = time.time()
    kept = {key: until for key, until in (session.get(_SESSION_KEY) or {}).items() if until > now}
    kept[str(link.id)] = int(now + VERIFIED_FOR)
    session[_SESSION_KEY] = kept


def _forget(link: DownloadLink) -> None:
    kept = dict(session.get(_SESSION_KEY) or {})
    if kept.pop(str(link.id), None) is not None:
        session[_SESSION_KEY] = kept


# -- pages --------------------------------------------------------------------


def _case(link: DownloadLink) -> Case:
    case = db.session.get(Case, link.case_id)
    assert case is not None  # the link cascades with its case
    return case


def _code_page(link: DownloadLink, *, error: str | None = None, attempts_left: int | None = None):
    return render_template(
        "downloads/code.html",
        token=request.view_args["token"],  # type: ignore[index]
        errors=[(CODE_FIELD, error)] if error else [],
        error=error,
        attempts_left=attempts_left,
        expires_at=link.expires_at,
        wording=page_wording(link.audience, _case(link)),
    )


def _files_page(link: DownloadLink):
    pack = link.pack
    case = _case(link)
    portability = case.request_type is RequestType.PORTABILITY
    # The machine-readable files are a portability request's answer: first.
    kinds = sorted(FILE_KINDS, key=lambda kind: kind != "zip") if portability else FILE_KINDS
    files = [(kind, pack_file(pack, kind).size) for kind in kinds]
    return render_template(
        "downloads/files.html",
        token=request.view_args["token"],  # type: ignore[index]
        files=files,
        downloads_left=max(0, link.max_downloads - link.download_count),
        expires_at=link.expires_at,
        minutes=VERIFIED_FOR // 60,
        portability=portability,
        wording=page_wording(link.audience, case),
        organisation_name=case.organisation.name,
    )


@bp.get("/download/<token>")
@_view_limit
def link_page(token: str):
    link, state = links.view_link(token)
    db.session.commit()
    if link is None or state is None:
        raise _unknown()
    if state is not LinkState.USABLE:
        _forget(link)
        return _refused(state)
    if _verified(link):
        return _files_page(link)
    return _code_page(link)


@bp.post("/download/<token>")
@_code_limit
def submit_code(token: str):
    link = _link(token)
    typed = request.form.get(CODE_FIELD, "")
    if not typed.strip():
        # Nothing typed is not a guess: no attempt spent, but still audited.
        links.view_link(token)
        db.session.commit()
        given = (
            f" {page_wording(link.audience, _case(link)).asker} gave you"
            if link.audience is LinkAudience.CONTROLLER
            else ""
        )
        missing = "Enter the 6-digit code" + (given or " from the second email")
        return _code_page(link, error=missing)
    check = links.check_code(link, typed)
    db.session.commit()
    if check.outcome is CodeOutcome.ACCEPTED:
        _remember(link)
        return redirect(url_for(".link_page", token=token), code=303)
    if check.outcome is CodeOutcome.WRONG:
        return _code_page(link, error="The code is not correct", attempts_left=check.attempts_left)
    return _refused(check.state)


@bp.post("/download/<token>/<kind>")
@_file_limit
def download_file(token: str, kind: str):
    if kind not in FILE_KINDS:
        abort(404)
    link = _link(token)
    if not _verified(link):
        # The code first (it may have been entered in another browser, or
        # more than VERIFIED_FOR ago).
        return redirect(url_for(".link_page", token=token), code=303)
    if links.take_download(link, kind) is None:
        db.session.commit()  # the refusal's audit event
        db.session.refresh(link)  # what the refused UPDATE saw
        _forget(link)
        state = links.state_of(link)
        # Still "usable" only if a parallel download took the last one and
        # this read predates it; the answer is the same.
        return _refused(LinkState.EXHAUSTED if state is LinkState.USABLE else state)
    pack = link.pack
    blob = pack_file(pack, kind)
    name = file_name(db.session.get(Case, link.case_id), pack, kind)  # type: ignore[arg-type]
    db.session.commit()  # the count and the audit event, before any byte goes out
    response = attachment(blob.id, filename=name, content_type=blob.content_type, size=blob.size)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
