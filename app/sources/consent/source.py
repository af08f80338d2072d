"""The consent ledger as a Source: every grant and withdrawal recorded for
the person."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.sources.consent.models import ConsentRecord
from app.sources.correspondence.models import PersonKind
from app.sources.items import columns_of, sorted_ids
from app.sources.protocol import Candidate, Identity, Item, Match

NAME = "consent"
_COLUMNS = (
    "person_kind", "purpose", "decision", "wording", "wording_version", "wording_sha256", "method",
    "evidence", "recorded_by", "recorded_at",
)  # fmt: skip


def person_filter(kind_column, id_column, match: Match):
    """``(kind = 'pupil' AND id IN ...) OR ...`` for the match's records:
    each branch an index range on (kind, id)."""
    branches = [
        and_(kind_column == kind, id_column.in_(sorted_ids(ids)))
        for kind, ids in (
            (PersonKind.PUPIL, match.pupil_ids),
            (PersonKind.CONTACT, match.contact_ids),
            (PersonKind.EMPLOYEE, match.employee_ids),
        )
        if ids
    ]
    return or_(*branches) if branches else None


class ConsentSource:
    name = NAME
    title = "Consent ledger"
    categories = ("consent",)

    def find(self, session: Session, identity: Identity) -> list[Candidate]:
        return []  # the ledger is keyed by records the person stores find

    def collect(self, session: Session, match: Match) -> Iterator[Item]:
        about = person_filter(ConsentRecord.person_kind, ConsentRecord.person_id, match)
        if about is None or not match.organisation_ids:
            return
        for record in session.scalars(
            select(ConsentRecord)
            .where(about, ConsentRecord.organisation_id.in_(sorted_ids(match.organisation_ids)))
            .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
        ):
            verb = "given" if record.decision.value == "granted" else "withdrawn"
            yield Item(
                NAME,
                "consent",
                f"consent:{record.id}",
                f"Consent {verb}: {record.purpose}",
                {
                    "consent_id": str(record.id),
                    "person_id": str(record.person_id),
                    **columns_of(record, _COLUMNS),
                },
                occurred_on=record.recorded_at.date(),
            )


SOURCE = ConsentSource()
