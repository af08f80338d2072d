"""Possible duplicates: a confirmed case is flagged (never blocked) as a
possible duplicate of the latest earlier case of the same requester,
subject and type at the same organisation received within 90 days
(``Case.duplicate_of_id``, set by ``app.cases.services.confirm``).

A case whose record was reduced (``app.cases.record_retention``) no longer
says who asked or about whom, so it is no longer offered as anyone's
duplicate: its duplicate key goes with the reduction, so no later case is
flagged against it, and ``unflag_reduced`` clears the flags that still link
a case to a reduced one (or a reduced case to another), with a line on the
timeline and an audit event for each case unflagged.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import aliased

from app.cases.lifecycle import add_event, audit_case
from app.cases.models import Case, CaseStatus
from app.extensions import db

DUPLICATE_WINDOW_DAYS = 90
# The timeline line and audit action of a flag cleared because a record
# was reduced; neither names the other case, which the flag no longer may.
UNFLAGGED = "duplicate_flag_cleared"
UNFLAGGED_REASON = "record_reduced"


def _duplicate_query(table: Any, columns: Any) -> Any:
    return (
        select(columns)
        .where(
            table.duplicate_key == bindparam("duplicate_key"),
            table.request_type == bindparam("request_type"),
            table.organisation_id == bindparam("organisation_id"),
            table.received_on >= bindparam("since"),
            table.id != bindparam("case_id"),
            table.status != CaseStatus.SUBMITTED,  # unconfirmed submissions are not requests yet
        )
        .order_by(table.received_on.desc(), table.id.desc())
        .limit(1)
    )


# Built once: a statement made afresh for every submission costs more to
# build (and to key for the compiled cache) than to run. The id alone is
# asked for in plain Core, on the table: no ORM entity, no sealed column.
_DUPLICATE = _duplicate_query(Case, Case)
_DUPLICATE_ID = _duplicate_query(Case.__table__.c, Case.__table__.c.id)


def _duplicate_params(case: Case) -> dict[str, Any]:
    return {
        "duplicate_key": case.duplicate_key,
        "request_type": case.request_type,
        "organisation_id": case.organisation_id,
        "since": case.received_on - timedelta(days=DUPLICATE_WINDOW_DAYS),
        "case_id": case.id,
    }


def find_duplicate(case: Case) -> Case | None:
    """The latest earlier case of the same requester, subject and type at the
    same organisation received within 90 days. Same organisation only: a
    flag must never point a school at another controller's case."""
    return db.session.scalars(_DUPLICATE, _duplicate_params(case)).first()


def find_duplicate_id(case: Case) -> uuid.UUID | None:
    """The id of ``find_duplicate(case)``, without loading (and opening the
    sealed columns of) the case itself."""
    # Session.execute autoflushes before Core statements too, so changes
    # pending in this transaction count, as they did for the ORM query.
    return db.session.execute(_DUPLICATE_ID, _duplicate_params(case)).scalar()


def unflag_reduced() -> list[uuid.UUID]:
    """Clear every duplicate flag between a case and a reduced one (either
    way round) and return the ids of the cases unflagged. A flag to a
    reduced case offers staff a record with nobody in it, and a reduced
    record's flag to a case still whole would say who it was about.

    Set by set, in the caller's transaction: it finds the flags of the
    cases reduced in that transaction (flushed first) and any older ones,
    and a re-run finds none left, so it is safe to repeat."""
    earlier = aliased(Case)
    flagged = db.session.scalars(
        select(Case)
        .join(earlier, Case.duplicate_of_id == earlier.id)
        .where(or_(earlier.record_reduced_at.is_not(None), Case.record_reduced_at.is_not(None)))
        .order_by(Case.id)
    ).all()
    for case in flagged:
        case.duplicate_of_id = None
        data = {"reason": UNFLAGGED_REASON}
        add_event(case, UNFLAGGED, None, data)
        audit_case(f"case.{UNFLAGGED}", case, None, data)
    return [case.id for case in flagged]
