"""Private links to a case's status page.

A link carries 256 random bits; only their SHA-256 is stored
(``CaseStatusLink.token_hash``), so a leaked database cannot be turned into
working links. Because the token itself is never kept, every email that
needs the link mints a fresh one; all of a case's links keep working, so the
requester can use whichever email they find first. Links stop working when
revoked or once the case has been closed for ``DAYS_AFTER_CLOSE`` days.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.cases.models import Case, CaseStatusLink
from app.crypto import token_digest
from app.db import new_uuid, utcnow
from app.extensions import db
from app.letters.services import absolute_url

DAYS_AFTER_CLOSE = 90
# Writing last_used_at on every page view would turn reads into writes;
# once per few minutes is enough to see that a link is in use.
_TOUCH_EVERY = timedelta(minutes=5)


def mint_status_link(case: Case) -> str:
    """A new link to the case's status page (absolute URL), in the caller's
    transaction."""
    token = secrets.token_urlsafe(32)
    db.session.add(CaseStatusLink(id=new_uuid(), case_id=case.id, token_hash=token_digest(token)))
    return absolute_url("intake.status_page", token=token)


def case_for_status_token(token: str, *, lock: bool = False, now: datetime | None = None) -> Case | None:
    """The case the token opens, or None (unknown, revoked, or closed too long
    ago); with ``lock``, the case row is locked for a change."""
    now = now or utcnow()
    link = db.session.scalars(
        select(CaseStatusLink).where(
            CaseStatusLink.token_hash == token_digest(token), CaseStatusLink.revoked_at.is_(None)
        )
    ).first()
    if link is None:
        return None
    case = db.session.get(Case, link.case_id, with_for_update=lock)
    if case is None or case.reference is None:
        return None
    if case.closed_at is not None and now - case.closed_at > timedelta(days=DAYS_AFTER_CLOSE):
        return None
    if link.last_used_at is None or now - link.last_used_at > _TOUCH_EVERY:
        link.last_used_at = now
    return case


def revoke_status_links(case: Case, *, now: datetime | None = None) -> int:
    """Stop every link of the case working (e.g. one was forwarded to the
    wrong person); returns how many were revoked."""
    result = db.session.execute(
        update(CaseStatusLink)
        .where(CaseStatusLink.case_id == case.id, CaseStatusLink.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return result.rowcount or 0
