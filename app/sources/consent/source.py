"""The consent ledger as a Source: every grant and withdrawal recorded for
the person."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.sources.consent.models import ConsentRecord
from app.sources.correspondence.models import PersonKind
from app.sources.items import ids_param, sorted_ids, values_of
from app.sources.protocol import Candidate, Identity, Item, Match

NAME = "consent"
_COLUMNS = (
    "person_kind", "purpose", "decision", "wording", "wording_version", "wording_sha256", "method",
    "evidence", "recorded_by", "recorded_at",
)  # fmt: skip


class ConsentSource:
    name = NAME
    title = "Consent ledger"
    categories = ("consent",)

    def find(self, session: Session, identity: Identity) -> list[Candidate]:
        return []  # the ledger is keyed by records the person stores find

    def collect(self, session: Session, match: Match) -> Iterator[Item]:
        if not match.organisation_ids or not (match.pupil_ids or match.contact_ids or match.employee_ids):
            return
        for row in session.execute(_RECORDS, person_params(match)):
            consent_id, person_id = str(row[0]), str(row[1])
            values = values_of(_COLUMNS, row[2:])
            verb = "given" if values["decision"] == "granted" else "withdrawn"
            yield Item(
                NAME,
                "consent",
                f"consent:{consent_id}",
                f"Consent {verb}: {values['purpose']}",
                {"consent_id": consent_id, "person_id": person_id, **values},
                occurred_on=row.recorded_at.date(),
            )


def person_params(match: Match) -> dict[str, list[uuid.UUID]]:
    """The parameters of ``person_clause``, and ``orgs``: the match's records
    of each kind (an empty list matches nothing) and its organisations."""
    return {
        "pupils": sorted_ids(match.pupil_ids),
        "contacts": sorted_ids(match.contact_ids),
        "employees": sorted_ids(match.employee_ids),
        "orgs": sorted_ids(match.organisation_ids),
    }


def person_clause(kind_column: Any, id_column: Any) -> Any:
    """``(kind = 'pupil' AND id IN :pupils) OR ...`` for every kind: each
    branch an index range on (kind, id); a kind with no records, an empty
    list, matches nothing."""
    return or_(
        *(
            and_(kind_column == kind, id_column.in_(ids_param(param)))
            for kind, param in (
                (PersonKind.PUPIL, "pupils"),
                (PersonKind.CONTACT, "contacts"),
                (PersonKind.EMPLOYEE, "employees"),
            )
        )
    )


# The collect query, built once (see ``app.sources.items``).
_R = ConsentRecord.__table__
_RECORDS = (
    select(_R.c.id, _R.c.person_id, *(_R.c[name] for name in _COLUMNS))
    .where(person_clause(_R.c.person_kind, _R.c.person_id), _R.c.organisation_id.in_(ids_param("orgs")))
    .order_by(_R.c.recorded_at, _R.c.id)
)


SOURCE = ConsentSource()
