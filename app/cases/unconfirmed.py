"""Requests whose email address was never confirmed are withdrawn after
7 days (issue 4), by a daily job (``app.jobs.schedule``).

The cases are chosen in one query and each is moved through the lifecycle,
so every withdrawal is an audit event and a timeline entry like any other.
Each withdrawal writes one short email to the address given (the request is
closed, nothing more will happen, and where to make a new one) to the mail
outbox in the same transaction: the withdrawal and its email are committed
together or not at all, and delivery happens after the commit. A second run
the same day finds nothing left to do, so nothing is sent twice.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.cases import letters, lifecycle, services
from app.cases.models import Case, CaseStatus
from app.db import utcnow
from app.extensions import db

UNCONFIRMED_DAYS = 7
MAIL_CATEGORY = "case.unconfirmed_withdrawal"


def withdraw_unconfirmed(today: date | None = None) -> int:
    """Withdraw every ``submitted`` case received more than 7 days before
    ``today`` and email its requester; returns how many were withdrawn.
    The caller commits."""
    today = today or utcnow().date()
    cutoff = today - timedelta(days=UNCONFIRMED_DAYS)
    # Row locks (PostgreSQL) so a confirmation arriving at the same moment
    # waits and then finds the case withdrawn, rather than both winning;
    # skip_locked lets a second scheduler run pass over the same rows.
    stale = db.session.scalars(
        select(Case)
        .where(Case.status == CaseStatus.SUBMITTED, Case.received_on < cutoff)
        .order_by(Case.id)
        .with_for_update(skip_locked=True)
    ).all()
    for case in stale:
        services.withdraw(case, None)
        lifecycle.add_event(case, "withdrawn_unconfirmed", None, {"days": UNCONFIRMED_DAYS})
        letter = letters.unconfirmed_withdrawal(case, UNCONFIRMED_DAYS)
        services.send_letter(case, letter, case.requester_email, MAIL_CATEGORY)
    db.session.flush()
    return len(stale)
