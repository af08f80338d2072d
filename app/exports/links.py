"""Secure download links to a response pack (DESIGN §8).

A link carries 256 random bits in its URL; only their SHA-256 is stored.
Opening it also needs a 6-digit code, sent in a second email, so the link
alone (a forwarded email, a URL in a log or a browser's history) opens
nothing. Both emails go to the same address: whoever can read that mailbox
can open the response, and the emails say so. The code is stored as an
HMAC-SHA256 under a key derived from ``SECRET_KEY`` (and bound to the link's
id), so a copy of the database cannot be turned into codes by trying all
million. A link expires, allows a few downloads (each file counts as one),
locks after five wrong codes and can be revoked; once a newer version of
the pack is ready it no longer opens (``app.exports.revocation``).

Who gets the pack: the school's registered data-protection contact, the
requester, or (a portability request only, ``app.exports.transmission``)
the organisation the requester asked us to send their data to. Sending to
the requester or that organisation is the response, so it moves the case
approved -> responded. Sending to the school does not: the school decides
whether and when the requester gets it (it may deliver it itself; staff
then use ``app.exports.packs.mark_responded``).

Every function works in the caller's transaction; the caller commits.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.accounts.models import User
from app.accounts.scoping import NotInScope, can_see_organisation
from app.audit.services import record
from app.cases import lifecycle
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseStatus
from app.crypto import secret_derived_key, token_digest
from app.db import new_uuid, utcnow
from app.exports.access import log_link_download
from app.exports.models import DownloadLink, LinkAudience, PackStatus, ResponsePack
from app.exports.packs import latest_ready
from app.exports.revocation import newer_ready_version, not_superseded
from app.exports.revocation import revoke as revoke  # re-exported: staff revoke through links
from app.extensions import db
from app.letters.services import absolute_url, render_letter
from app.mail.services import send_mail
from app.sources.validation import FieldError

DEFAULT_DAYS = 7
MAX_DAYS = 30
DEFAULT_MAX_DOWNLOADS = 3
MAX_DOWNLOADS = 10
MAX_CODE_ATTEMPTS = 5
CODE_DIGITS = 6
HKDF_INFO = b"rightsdesk download link code v1"
# A link is sent while the response is being delivered; once the case is
# closed its packs wait only for the retention sweep.
SENDABLE = frozenset({CaseStatus.APPROVED, CaseStatus.RESPONDED})
_SEPARATORS = re.compile(r"[\s-]")
# Sending to these answers the request: the requester, or the organisation
# they asked us to send their data to (Art 20(2)).
ANSWERS = frozenset({LinkAudience.REQUESTER, LinkAudience.CONTROLLER})


class LinkState(enum.StrEnum):
    USABLE = "usable"
    EXPIRED = "expired"  # also a pack destroyed by the retention sweep
    EXHAUSTED = "exhausted"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"  # a newer version of the pack is ready
    LOCKED = "locked"


class CodeOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"  # this wrong code was the last one allowed


@dataclass(frozen=True)
class Recipient:
    """Whom a link goes to when the case does not say (Art 20(2))."""

    name: str
    email: str


@dataclass(frozen=True)
class SentLink:
    link: DownloadLink
    # The URL and code exist only here, to be emailed; neither is stored.
    url: str
    code: str


@dataclass(frozen=True)
class CodeCheck:
    outcome: CodeOutcome | None  # None: the link was not usable, nothing compared
    state: LinkState
    attempts_left: int


def _code_key() -> bytes:
    return secret_derived_key(current_app.config["SECRET_KEY"], HKDF_INFO)


def code_hash(link_id: uuid.UUID, code: str) -> str:
    """The stored form of a link's code. The link id is part of the message,
    so one link's digest says nothing about another's code."""
    message = f"{link_id}:{code}".encode("utf-8", "surrogatepass")
    return hmac.new(_code_key(), message, hashlib.sha256).hexdigest()


def state_of(link: DownloadLink, *, now: datetime | None = None) -> LinkState:
    """Why the link cannot be used, or USABLE. Revocation by staff is named
    first: it is the one a person can ask about and be told "we withdrew
    it". Then a newer version of the pack, whether or not the link was
    revoked for it: the holder should ask for the new link."""
    now = now or utcnow()
    pack = link.pack
    if link.revoked_at is not None and link.revoked_by_id is not None:
        return LinkState.REVOKED
    if newer_ready_version(link) is not None:
        return LinkState.SUPERSEDED
    if link.revoked_at is not None:
        return LinkState.REVOKED
    if now >= link.expires_at or pack.status is not PackStatus.READY:
        return LinkState.EXPIRED
    if link.failed_code_attempts >= MAX_CODE_ATTEMPTS:
        return LinkState.LOCKED
    if link.download_count >= link.max_downloads:
        return LinkState.EXHAUSTED
    return LinkState.USABLE


def link_for_token(token: str) -> DownloadLink | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalars(
        select(DownloadLink).where(DownloadLink.token_hash == token_digest(token))
    ).first()


def links_for(case: Case) -> Sequence[DownloadLink]:
    """Every link of the case, newest first."""
    return db.session.scalars(
        select(DownloadLink).where(DownloadLink.case_id == case.id).order_by(DownloadLink.created_at.desc())
    ).all()


def link_in_scope(user: User, link_id: uuid.UUID) -> DownloadLink:
    """A link of a case among the user's organisations, or ``NotInScope``."""
    link = db.session.get(DownloadLink, link_id)
    case = db.session.get(Case, link.case_id) if link is not None else None
    if link is None or case is None or not can_see_organisation(user, case.organisation_id):
        raise NotInScope("no such link")
    return link


def _check_limits(days: int, max_downloads: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise FieldError("days", f"a link lasts from 1 to {MAX_DAYS} days")
    if not 1 <= max_downloads <= MAX_DOWNLOADS:
        raise FieldError("max_downloads", f"a link allows from 1 to {MAX_DOWNLOADS} downloads")


def send_pack(
    pack: ResponsePack,
    audience: LinkAudience | str,
    actor: User | None,
    *,
    days: int = DEFAULT_DAYS,
    max_downloads: int = DEFAULT_MAX_DOWNLOADS,
    now: datetime | None = None,
    to: Recipient | None = None,
) -> SentLink:
    """Mint a link to ``pack`` and email it, and its code separately, to
    the audience. Only the newest ready pack of an approved or responded
    case is sent. Sending to the requester moves an approved case to
    responded. The CONTROLLER audience (``to``: the organisation the
    requester named) is ``app.exports.transmission``'s."""
    audience = LinkAudience(audience)
    _check_limits(days, max_downloads)
    if (audience is LinkAudience.CONTROLLER) != (to is not None):
        raise FieldError("audience", "another organisation is sent a pack through its own form")
    # Locked: two "send to requester" clicks move the case once.
    case = db.session.get(Case, pack.case_id, with_for_update={"key_share": True}, populate_existing=True)
    assert case is not None  # the pack cascades with its case
    if case.status not in SENDABLE:
        raise IllegalTransition(case, None, "a response is sent while the case is approved or responded")
    newest = latest_ready(case)
    if pack.status is not PackStatus.READY or newest is None or newest.id != pack.id:
        raise IllegalTransition(case, None, "only the newest ready response pack can be sent")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    if to is not None:
        recipient, name = to.email, to.name
    elif audience is LinkAudience.SCHOOL:
        recipient, name = case.organisation.dp_contact_email, case.organisation.dp_contact_name
    else:
        recipient, name = case.requester_email, case.requester_name
    link = DownloadLink(
        id=new_uuid(),
        pack_id=pack.id,
        case_id=case.id,
        audience=audience,
        recipient_email=recipient,
        recipient_name=to.name if to is not None else None,
        token_hash=token_digest(token),
        expires_at=now + timedelta(days=days),
        max_downloads=max_downloads,
        download_count=0,
        failed_code_attempts=0,
        created_by_id=actor.id if actor else None,
    )
    link.code_hash = code_hash(link.id, code)
    db.session.add(link)
    db.session.flush()
    url = absolute_url("downloads.link_page", token=token)
    _email(case, link, name, url, code)
    data = {"pack": pack.id, "link": link.id, "audience": audience.value, "days": days, "max": max_downloads}
    lifecycle.audit_case("pack.link_sent", case, actor, data)
    lifecycle.add_event(case, "pack_link_sent", actor, {"audience": audience.value, "version": pack.version})
    if audience in ANSWERS and case.status is CaseStatus.APPROVED:
        lifecycle.move(case, CaseStatus.RESPONDED, actor, data={"via": "link", "pack": pack.id})
    return SentLink(link, url, code)


def _email(case: Case, link: DownloadLink, name: str, url: str, code: str) -> None:
    """Two messages: whoever reads one of them alone cannot download. A
    link to another organisation's address carries no code of its own: the
    code goes to the requester (``app.exports.transmission``), who passes it
    on, so nothing opens unless the requester meant it to go there."""
    reference = case.reference or ""
    letter = render_letter(
        "pack_link",
        {
            "recipient_name": name,
            "reference": reference,
            "link_url": url,
            "expires_at": link.expires_at,
            "max_downloads": link.max_downloads,
            "for_school": link.audience is LinkAudience.SCHOOL,
            "on_behalf_of": case.requester_name if link.audience is LinkAudience.CONTROLLER else None,
            "organisation_name": case.organisation.name,
        },
    )
    send_mail(
        link.recipient_email, letter.subject, letter.text, letter.html, category="pack.link", case_id=case.id
    )
    if link.audience is LinkAudience.CONTROLLER:
        return
    letter = render_letter(
        "pack_code",
        {"recipient_name": name, "reference": reference, "code": code, "expires_at": link.expires_at},
    )
    send_mail(
        link.recipient_email, letter.subject, letter.text, letter.html, category="pack.code", case_id=case.id
    )


def _audit_public(action: str, link: DownloadLink, **data: object) -> None:
    # Whoever holds the link is not signed in: "anonymous", with ids only.
    record(action, actor_type="anonymous", object_type="download_link", object_id=link.id, data=data)


def view_link(token: str, *, now: datetime | None = None) -> tuple[DownloadLink | None, LinkState | None]:
    """The link page was opened: the link and its state (None for an
    unknown token). Audited either way."""
    link = link_for_token(token)
    if link is None:
        record("download.link_unknown", actor_type="anonymous")
        return None, None
    state = state_of(link, now=now)
    _audit_public("download.link_viewed", link, state=state.value)
    return link, state


def check_code(link: DownloadLink, typed: str, *, now: datetime | None = None) -> CodeCheck:
    """Compare a typed code; the fifth wrong one locks the link.

    An attempt is reserved before the comparison, by one conditional UPDATE
    (``failed < 5``), and handed back only if the code was right. So however
    many guesses arrive at the same moment, at most five are ever compared:
    checking the count first and adding to it afterwards would let a burst
    of parallel guesses all pass the check.
    """
    state = state_of(link, now=now)
    if state is not LinkState.USABLE:
        _audit_public("download.code_refused", link, state=state.value)
        return CodeCheck(None, state, _left(link.failed_code_attempts))
    attempts = _add_attempt(link, +1)
    if attempts is None:  # another request used the last attempt meanwhile
        _audit_public("download.code_refused", link, state=LinkState.LOCKED.value)
        return CodeCheck(None, LinkState.LOCKED, 0)
    candidate = _SEPARATORS.sub("", typed or "")[:64]
    if candidate.isascii() and hmac.compare_digest(code_hash(link.id, candidate), link.code_hash):
        left = _left(_add_attempt(link, -1) or 0)
        _audit_public("download.code_accepted", link)
        return CodeCheck(CodeOutcome.ACCEPTED, state, left)
    _audit_public("download.code_rejected", link, attempts=attempts)
    if attempts >= MAX_CODE_ATTEMPTS:
        _audit_public("download.link_locked", link)
        return CodeCheck(CodeOutcome.LOCKED, LinkState.LOCKED, 0)
    return CodeCheck(CodeOutcome.WRONG, state, _left(attempts))


def _add_attempt(link: DownloadLink, step: int) -> int | None:
    statement = update(DownloadLink).where(DownloadLink.id == link.id)
    if step > 0:
        statement = statement.where(DownloadLink.failed_code_attempts < MAX_CODE_ATTEMPTS)
    attempts = db.session.execute(
        statement.values(failed_code_attempts=DownloadLink.failed_code_attempts + step)
        .returning(DownloadLink.failed_code_attempts)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if attempts is not None:
        link.failed_code_attempts = attempts
    return attempts


def _left(attempts: int) -> int:
    return max(0, MAX_CODE_ATTEMPTS - attempts)


def take_download(link: DownloadLink, kind: str, *, now: datetime | None = None) -> int | None:
    """Count one download of the link's ``kind`` file, or None when the link
    cannot be used (any more). One conditional UPDATE, so two downloads at
    the same moment can never both take the last one; it also refuses a
    link whose pack a newer ready version replaced, revoked or not. A
    download is audited and access-logged against every subject record
    (``app.exports.access``). Returns the count."""
    now = now or utcnow()
    if link.pack.status is not PackStatus.READY:
        count = None
    else:
        count = db.session.execute(
            update(DownloadLink)
            .where(
                DownloadLink.id == link.id,
                DownloadLink.download_count < DownloadLink.max_downloads,
                DownloadLink.revoked_at.is_(None),
                DownloadLink.expires_at > now,
                DownloadLink.failed_code_attempts < MAX_CODE_ATTEMPTS,
                not_superseded(link),
            )
            .values(download_count=DownloadLink.download_count + 1, last_download_at=now)
            .returning(DownloadLink.download_count)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
    if count is None:
        _audit_public("download.refused", link, file=kind)
        return None
    link.download_count = count
    link.last_download_at = now
    _audit_public("download.file_downloaded", link, file=kind, count=count, pack=link.pack_id)
    case = db.session.get(Case, link.case_id)
    assert case is not None  # the link cascades with its case
    log_link_download(case, link)
    return count
