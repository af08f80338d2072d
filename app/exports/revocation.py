"""Stopping download links: by a member of staff, or because a newer
version of the pack replaced the one they deliver.

A pack is rebuilt when the old one was wrong (unredacted third-party data,
a missed record), so once a newer version is ready a link to an older one
must not open it. ``revoke_superseded`` revokes those links when the new
version becomes ready, in the build's transaction, each audited like a
revocation by staff with the reason and the replacing version; and
``newer_ready_version`` (read by ``app.exports.links.state_of``) and
``not_superseded`` (a condition of the download's conditional UPDATE)
refuse such a link even if it was somehow left unrevoked.

"Newer" means a higher version that is ready, the rule by which
``app.exports.links.send_pack`` sends only the newest ready pack: a rebuild
that is still running or has failed replaces nothing. Staff who want the old
links stopped at once revoke them.

Every function works in the caller's transaction; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select

from app.accounts.models import User
from app.audit.services import record
from app.db import utcnow
from app.exports.models import DownloadLink, PackStatus, ResponsePack
from app.extensions import db

SUPERSEDED = "superseded"  # the reason recorded for a link a newer version replaced


def revoke(
    link: DownloadLink,
    actor: User | None,
    *,
    now: datetime | None = None,
    reason: str | None = None,
    **data: object,
) -> DownloadLink:
    """Stop the link working at once (sent to the wrong address, no longer
    wanted, or replaced by a newer version: ``reason``, with ids and codes
    in ``data``). Revoking twice changes nothing."""
    if link.revoked_at is not None:
        return link
    link.revoked_at = now or utcnow()
    link.revoked_by_id = actor.id if actor else None
    details: dict[str, object] = {"case": link.case_id, "pack": link.pack_id}
    if reason is not None:
        details.update(reason=reason, **data)
    record(
        "pack.link_revoked",
        actor_type="user" if actor else "system",
        actor_id=actor.id if actor else None,
        object_type="download_link",
        object_id=link.id,
        data=details,
    )
    return link


def revoke_superseded(pack: ResponsePack, *, now: datetime | None = None) -> list[DownloadLink]:
    """Revoke every unexpired link to an older version of ``pack``'s case,
    now that ``pack`` is ready. Returns the links revoked."""
    now = now or utcnow()
    older = db.session.scalars(
        select(DownloadLink)
        .join(ResponsePack, ResponsePack.id == DownloadLink.pack_id)
        .where(
            DownloadLink.case_id == pack.case_id,
            DownloadLink.revoked_at.is_(None),
            DownloadLink.expires_at > now,
            ResponsePack.version < pack.version,
        )
        .order_by(DownloadLink.created_at)
    ).all()
    for link in older:
        revoke(link, None, now=now, reason=SUPERSEDED, by_pack=pack.id, by_version=pack.version)
    return list(older)


def newer_ready_version(link: DownloadLink) -> int | None:
    """The newest ready version of the link's case when it is newer than the
    link's pack (the link is superseded), else None."""
    newest = db.session.scalar(
        select(func.max(ResponsePack.version)).where(
            ResponsePack.case_id == link.case_id, ResponsePack.status == PackStatus.READY
        )
    )
    return newest if newest is not None and newest > link.pack.version else None


def not_superseded(link: DownloadLink) -> ColumnElement[bool]:
    """A condition for a statement on ``download_links``: no newer version
    of the link's pack is ready."""
    return ~exists(
        select(ResponsePack.id).where(
            ResponsePack.case_id == DownloadLink.case_id,
            ResponsePack.status == PackStatus.READY,
            ResponsePack.version > link.pack.version,
        )
    )
