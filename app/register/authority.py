"""Public authorities and legitimate interests (UK GDPR Art 6(1), last
sentence: point (f) "shall not apply to processing carried out by public
authorities in the performance of their tasks").

Legitimate interests are never put in effect at a public authority, nor at
a school of a trust that is one (``public_authority_of``), whichever way
they would get there: the organisation's own basis, its trust's, or the
register's, which applies wherever neither set one (``app.register.bases``).
Each change that could put them there is refused here, with a message
saying which organisations and categories stand in the way and what to
change first (what was stored before these rules is flagged on the
organisation's page instead):

- setting it as an organisation's own basis (``legitimate_interests_refusal``),
  or as the own basis of a trust that is not a public authority while its
  schools that take the trust's basis are (``trust_basis_refusal``);
- going back to the trust's or the register's basis when that is it
  (``fallback_refusal``);
- making it the register's basis while public authorities take the
  register's (``register_basis_refusal``);
- marking an organisation a public authority while it is in effect there, or,
  for a trust, as the own basis of one of its schools
  (``set_public_authority``).

The console's organisation page and the API's ``PATCH /organisations/{id}``
both change the flag through ``set_public_authority``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased

from app.accounts.models import Role, User
from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.orgs.models import Organisation, OrgKind
from app.register.errors import NotAllowed, RegisterError
from app.register.models import LawfulBasis, OrganisationBasis, RegisterEntry

PUBLIC_AUTHORITY = "public_authority"
INTERESTS = LawfulBasis.LEGITIMATE_INTERESTS
LAST_SENTENCE = "UK GDPR Article 6(1), last sentence"
# Organisations named in one message at most; the rest are counted.
NAMED = 10
# The console's radio values.
YES, NO = "yes", "no"


def public_authority_of(organisation: Organisation) -> Organisation | None:
    """The public authority whose tasks ``organisation``'s processing serves:
    itself if it is one, else its trust if that is one, else None."""
    if organisation.public_authority:
        return organisation
    trust = organisation.trust
    return trust if trust is not None and trust.public_authority else None


def legitimate_interests_refusal(organisation: Organisation) -> str | None:
    """Why ``organisation`` cannot use legitimate interests, or None if it can."""
    authority = public_authority_of(organisation)
    if authority is None:
        return None
    who = (
        f"{organisation.name} is a public authority"
        if authority is organisation
        else f"{organisation.name}'s trust, {authority.name}, is a public authority"
    )
    return (
        f"{who}: legitimate interests do not apply to processing a public authority carries out in "
        f"performing its tasks ({LAST_SENTENCE}). Choose public task (Article 6(1)(e))"
    )


def _named(names: list[str]) -> str:
    if len(names) <= NAMED:
        return ", ".join(names)
    return f"{', '.join(names[:NAMED])} and {len(names) - NAMED} more"


def _owns(holder: Any, entry_id: Any) -> Any:
    """SQL: ``holder`` (an organisation id column) has an own basis for the entry."""
    return exists().where(
        OrganisationBasis.organisation_id == holder, OrganisationBasis.register_entry_id == entry_id
    )


def _schools_taking_trust_basis(trust: Organisation, entry: RegisterEntry) -> list[str]:
    """The names of ``trust``'s schools that are public authorities and
    have no basis of their own for ``entry``: they take the trust's."""
    if trust.kind is not OrgKind.TRUST:
        return []
    return list(
        db.session.scalars(
            select(Organisation.name)
            .where(
                Organisation.trust_id == trust.id,
                Organisation.public_authority.is_(True),
                ~_owns(Organisation.id, entry.id),
            )
            .order_by(Organisation.name)
        )
    )


def trust_basis_refusal(trust: Organisation, entry: RegisterEntry) -> str | None:
    """Why a trust that is not a public authority cannot make legitimate
    interests its own basis for ``entry``: its schools without a basis of
    their own for it take the trust's, and some of them are public
    authorities. None if none is (a trust that is one is refused by
    ``legitimate_interests_refusal``)."""
    if trust.public_authority or not (schools := _schools_taking_trust_basis(trust, entry)):
        return None
    return (
        f"These schools of {trust.name} are public authorities and take the trust's basis for this "
        f"category: {_named(schools)}. Legitimate interests do not apply to a public authority's tasks "
        f"({LAST_SENTENCE}): set those schools' own basis for this category first (public task, "
        "Article 6(1)(e)), or choose another basis for the trust"
    )


def fallback_refusal(
    organisation: Organisation, entry: RegisterEntry, fallback: LawfulBasis, whose: str
) -> str | None:
    """Why ``organisation`` cannot give up its own basis for ``entry`` and go
    back to ``whose`` ("its trust's" or "the register's"), which is
    ``fallback``: legitimate interests would then be in effect at a public
    authority, there or, for a trust, at its schools that take the trust's
    basis. None if they would not."""
    if fallback is not INTERESTS:
        return None
    if (authority := public_authority_of(organisation)) is not None:
        who = (
            "is a public authority"
            if authority is organisation
            else f"is a school of {authority.name}, a public authority"
        )
        return (
            f"{organisation.name} {who}, and {whose} basis for this category is legitimate interests, "
            f"which do not apply to a public authority's tasks ({LAST_SENTENCE}). Keep its own basis, "
            f"or change {whose} first"
        )
    if schools := _schools_taking_trust_basis(organisation, entry):
        return (
            f"The register's basis for this category is legitimate interests, and these schools of "
            f"{organisation.name} are public authorities that would take it with the trust's: "
            f"{_named(schools)}. Legitimate interests do not apply to a public authority's tasks "
            f"({LAST_SENTENCE}): keep the trust's own basis, or set those schools' own first"
        )
    return None


def register_basis_refusal(entry: RegisterEntry) -> str | None:
    """Why legitimate interests cannot become the register's basis for
    ``entry``: the public authorities, and the schools of trusts that are
    public authorities, that have no basis of their own for it and whose
    trust has none either (they take the register's). None if there are
    none."""
    trust = aliased(Organisation)
    takers = list(
        db.session.scalars(
            select(Organisation.name)
            .outerjoin(trust, trust.id == Organisation.trust_id)
            .where(
                or_(Organisation.public_authority.is_(True), trust.public_authority.is_(True)),
                ~_owns(Organisation.id, entry.id),
                or_(Organisation.trust_id.is_(None), ~_owns(Organisation.trust_id, entry.id)),
            )
            .order_by(Organisation.name)
        )
    )
    if not takers:
        return None
    return (
        "Legitimate interests cannot be the register's basis for this category while public authorities "
        f"take the register's basis for it: {_named(takers)}. Legitimate interests do not apply to a "
        f"public authority's tasks ({LAST_SENTENCE}). Give those organisations (or their trusts) their "
        "own basis for this category first, or keep another basis here"
    )


def _titles(entries: Iterable[RegisterEntry]) -> str:
    return ", ".join(entry.title for entry in entries)


def becoming_authority_refusal(organisation: Organisation) -> str | None:
    """Why ``organisation`` cannot be marked a public authority: the
    categories for which legitimate interests are in effect there (its own
    basis, its trust's or the register's) and, for a trust, its schools'
    own bases of legitimate interests (they would be a public authority's
    schools). None if there are none."""
    entries = db.session.scalars(
        select(RegisterEntry).order_by(RegisterEntry.source, RegisterEntry.category)
    ).all()
    holders = [organisation.id] + ([organisation.trust_id] if organisation.trust_id else [])
    stored = db.session.execute(
        select(
            OrganisationBasis.organisation_id, OrganisationBasis.register_entry_id, OrganisationBasis.basis
        ).where(OrganisationBasis.organisation_id.in_(holders))
    ).all()
    own = {entry_id: basis for holder, entry_id, basis in stored if holder == organisation.id}
    trusts = {entry_id: basis for holder, entry_id, basis in stored if holder != organisation.id}
    mine: list[RegisterEntry] = []
    from_trust: list[RegisterEntry] = []
    from_register: list[RegisterEntry] = []
    for entry in entries:
        # Whose basis is in effect, as ``bases.register_view`` decides it.
        if entry.id in own:
            basis, whose = own[entry.id], mine
        elif entry.id in trusts:
            basis, whose = trusts[entry.id], from_trust
        else:
            basis, whose = entry.basis, from_register
        if basis is INTERESTS:
            whose.append(entry)
    parts = []
    if mine:
        parts.append(f"its own basis for {_titles(mine)}")
    if from_trust and organisation.trust is not None:
        parts.append(
            f"the basis it takes from its trust, {organisation.trust.name}, for {_titles(from_trust)}"
        )
    if from_register:
        parts.append(f"the register's basis, which it takes, for {_titles(from_register)}")
    if organisation.kind is OrgKind.TRUST:
        for school, titles in _schools_own_interests(organisation):
            parts.append(f"the own basis of its school {school} for {titles}")
    if not parts:
        return None
    return (
        f"{organisation.name} cannot be made a public authority while legitimate interests (Article "
        f"6(1)(f)) is {'; '.join(parts)}. Legitimate interests do not apply to a public authority's tasks "
        f"({LAST_SENTENCE}): change those bases first, to public task (Article 6(1)(e)) for example"
    )


def _schools_own_interests(trust: Organisation) -> list[tuple[str, str]]:
    """(school, category titles) for each school of ``trust`` with
    legitimate interests as its own basis for some category."""
    rows = db.session.execute(
        select(Organisation.name, RegisterEntry.title)
        .join(OrganisationBasis, OrganisationBasis.organisation_id == Organisation.id)
        .join(RegisterEntry, RegisterEntry.id == OrganisationBasis.register_entry_id)
        .where(and_(Organisation.trust_id == trust.id, OrganisationBasis.basis == INTERESTS))
        .order_by(Organisation.name, RegisterEntry.source, RegisterEntry.category)
    ).all()
    grouped: dict[str, list[str]] = {}
    for school, title in rows:
        grouped.setdefault(school, []).append(title)
    return [(school, ", ".join(titles)) for school, titles in grouped.items()]


def clean_flag(value: Any, organisation: Organisation) -> bool:
    """A JSON boolean from the API, "yes" or "no" from the console's radios."""
    if isinstance(value, bool):
        return value
    if value in (YES, NO):
        return value == YES
    raise RegisterError({PUBLIC_AUTHORITY: f"Say whether {organisation.name} is a public authority"})


def set_public_authority(organisation: Organisation, value: Any, actor: User) -> bool:
    """Mark ``organisation`` a public authority or not; True if that changed.

    Only administrators, who set organisations' bases, may. Becoming one is
    refused (a message on ``public_authority``) while legitimate interests
    would then be in effect at a public authority (``becoming_authority_refusal``);
    ceasing to be one never puts them anywhere. A change is audited with
    the old and the new value. The caller commits."""
    if actor.role is not Role.ADMIN:
        raise NotAllowed("only administrators say whether an organisation is a public authority")
    new = clean_flag(value, organisation)
    old = organisation.public_authority
    if new is old:
        return False
    if new and (refusal := becoming_authority_refusal(organisation)):
        raise RegisterError({PUBLIC_AUTHORITY: refusal})
    organisation.public_authority = new
    organisation.updated_at = utcnow()
    record(
        "organisation.public_authority_set",
        actor_type="user",
        actor_id=actor.id,
        object_type="organisation",
        object_id=organisation.id,
        data={"field": PUBLIC_AUTHORITY, "old": old, "new": new},
    )
    return True
