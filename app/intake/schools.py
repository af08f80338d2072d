"""Finding the school a request is for, by name or URN, for the public form.

Only schools and nurseries are offered (see ``app.intake.schemas`` for why
not trusts). What a member of the public may learn here is what is already
public: a school's name and whether we serve it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, func, or_, select

from app.extensions import db
from app.orgs.models import Organisation, OrgKind

REQUESTABLE_KINDS = (OrgKind.SCHOOL, OrgKind.NURSERY)
MIN_QUERY = 2
MAX_QUERY = 100
MAX_RESULTS = 20


@dataclass(frozen=True)
class SchoolChoice:
    id: uuid.UUID
    name: str
    urn: str | None
    # The loaded row, held while the choice lives: the session's identity map
    # keeps rows only weakly, so without this the schema's check and
    # ``submit_request`` would each load the same school again.
    organisation: Organisation | None = field(default=None, compare=False, repr=False)


def _choice(organisation: Organisation) -> SchoolChoice:
    return SchoolChoice(organisation.id, organisation.name, organisation.urn, organisation)


def find_school(organisation_id: uuid.UUID | str | None) -> SchoolChoice | None:
    """The school or nursery with this id, or None (unknown, malformed, a trust)."""
    if organisation_id is None:
        return None
    try:
        key = organisation_id if isinstance(organisation_id, uuid.UUID) else uuid.UUID(str(organisation_id))
    except ValueError:
        return None
    organisation = _organisation(key)
    if organisation is None or organisation.kind not in REQUESTABLE_KINDS:
        return None
    return _choice(organisation)


# Built once: cheaper to run than ``Session.get``'s own statement, which it
# makes afresh on every call.
_BY_ID = select(Organisation).where(Organisation.id == bindparam("id"))


def _organisation(key: uuid.UUID) -> Organisation | None:
    session = db.session()
    if Organisation.__mapper__.identity_key_from_primary_key((key,)) in session.identity_map:
        return session.get(Organisation, key)  # already loaded (``get`` also knows an expired or deleted row)
    return session.scalars(_BY_ID, {"id": key}).first()


def normalise_query(query: str | None) -> str:
    return " ".join((query or "").split())[:MAX_QUERY]


def search_schools(query: str | None, *, limit: int = MAX_RESULTS) -> list[SchoolChoice]:
    """Schools whose name contains every word typed (in any order), or whose
    URN is the text typed; names starting with the text come first."""
    text = normalise_query(query)
    if len(text) < MIN_QUERY:
        return []
    words = text.lower().split()[:8]
    name = func.lower(Organisation.name)
    # autoescape: a typed "%" or "_" is a character, not a wildcard.
    matches = and_(*[name.contains(word, autoescape=True) for word in words])
    if text.isdigit():
        matches = or_(matches, Organisation.urn == text)
    statement = (
        select(Organisation)
        .where(Organisation.kind.in_(REQUESTABLE_KINDS), matches)
        .order_by(name.startswith(words[0], autoescape=True).desc(), name, Organisation.id)
        .limit(limit)
    )
    return [_choice(organisation) for organisation in db.session.scalars(statement)]
