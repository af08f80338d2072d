"""Support-access grants for tests that need one per organisation without
going through a school user's request (the tenant-isolation walk)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.db import new_uuid, utcnow
from app.extensions import db
from app.sources.access_log.models import SupportAccessGrant


def grant_ids(side: Any) -> list[str]:
    """One active grant per organisation of ``side`` (anything with
    ``organisations`` and ``users``), made on first use. The granter is the
    side's own user, so a leaked grant shows their email."""
    ids = []
    for organisation in side.organisations:
        found = db.session.scalars(
            select(SupportAccessGrant.id).where(SupportAccessGrant.organisation_id == organisation.id)
        ).first()
        if found is None:
            granter = next((u for u in side.users if u.organisation_id == organisation.id), None)
            now = utcnow()
            found = new_uuid()
            db.session.add(
                SupportAccessGrant(
                    id=found,
                    organisation_id=organisation.id,
                    granted_by_name=granter.name if granter else organisation.name,
                    granted_by_email=granter.email if granter else organisation.dp_contact_email,
                    granted_by_user_id=granter.id if granter else None,
                    agent_name="Walk Agent",
                    purpose="isolation walk",
                    granted_at=now,
                    expires_at=now + timedelta(days=7),
                    scope="isolation walk",
                )
            )
            db.session.commit()
        ids.append(str(found))
    return ids
