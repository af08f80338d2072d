"""Which Art 6(1) basis applies to a category at one organisation.

The register gives every category a basis, and that is the basis wherever
nothing else is set. A school or nursery (each is the controller) may set
its own for a category, and a trust may set one for all its schools; a
school's own comes first, then its trust's, then the register's. The basis
decides the right to data portability (``app.portability.scope``) and its
wording is what the response letters quote.

Legitimate interests are never put in effect at a public authority (UK
GDPR Art 6(1), last sentence), nor at a school in a trust that is one:
setting them as a basis, or going back to a trust's or the register's that
is them, is refused where it would put them there
(``app.register.authority``).

Only administrators set or clear an organisation's basis, as for the
register itself; each change is audited with the code chosen, never the
wording.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.accounts.models import Role, User
from app.audit.services import record
from app.cases.models import Case
from app.collect.identity import SUBJECT
from app.collect.models import CaseCandidate, Decision
from app.db import utcnow
from app.extensions import db
from app.orgs.models import Organisation, OrgKind
from app.register.authority import fallback_refusal, legitimate_interests_refusal, trust_basis_refusal
from app.register.citations import citation_conflict
from app.register.models import LawfulBasis, OrganisationBasis, RegisterEntry
from app.register.services import BASIS, MAX_TEXT, NotAllowed, RegisterError, clean_basis, clean_text

WORDING = "lawful_basis"
FIELDS = (BASIS, WORDING)

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Effective:
    """The basis that applies, and whose it is (None: the register's)."""

    basis: LawfulBasis
    wording: str
    set_by: uuid.UUID | None = None


@dataclass(frozen=True)
class RegisterView:
    """The register as it stands at one organisation: every entry, and the
    bases that organisation or its trust set (by register entry id)."""

    entries: Mapping[Pair, RegisterEntry]
    own: Mapping[uuid.UUID, OrganisationBasis] = field(default_factory=dict)

    def get(self, pair: Pair) -> RegisterEntry | None:
        return self.entries.get(pair)

    def basis(self, entry: RegisterEntry) -> Effective:
        own = self.own.get(entry.id)
        if own is not None:
            return Effective(own.basis, own.lawful_basis, own.organisation_id)
        return Effective(entry.basis, entry.lawful_basis)


def register_view(organisation_id: uuid.UUID | None = None) -> RegisterView:
    """The register at ``organisation_id`` (the register alone for None)."""
    entries = {(e.source, e.category): e for e in db.session.scalars(select(RegisterEntry))}
    if organisation_id is None:
        return RegisterView(entries)
    trust_id = db.session.scalar(select(Organisation.trust_id).where(Organisation.id == organisation_id))
    holders = [trust_id, organisation_id] if trust_id is not None else [organisation_id]
    rows = db.session.scalars(select(OrganisationBasis).where(OrganisationBasis.organisation_id.in_(holders)))
    # The trust's first, so the school's own replaces it.
    ordered = sorted(rows, key=lambda row: row.organisation_id == organisation_id)
    return RegisterView(entries, {row.register_entry_id: row for row in ordered})


def controller_of(case: Case) -> uuid.UUID:
    """The organisation whose bases apply to a case's data: the one the
    request was made to or, for a trust's request, the school holding every
    record confirmed as the subject's when there is one such school (each
    school is the controller of its own records). A trust's case whose
    records sit at several schools takes the trust's bases."""
    if db.session.scalar(select(Organisation.kind).where(Organisation.id == case.organisation_id)) is not (
        OrgKind.TRUST
    ):
        return case.organisation_id
    holders = set(
        db.session.scalars(
            select(CaseCandidate.organisation_id).where(
                CaseCandidate.case_id == case.id,
                CaseCandidate.about == SUBJECT,
                CaseCandidate.decision == Decision.CONFIRMED,
            )
        )
    )
    return holders.pop() if len(holders) == 1 else case.organisation_id


def register_for(case: Case) -> RegisterView:
    """The register as it stands for a case's data (``controller_of``)."""
    return register_view(controller_of(case))


@dataclass(frozen=True, slots=True)
class BasisRow:
    """One register category as it stands at one organisation."""

    entry: RegisterEntry
    effective: Effective
    own: OrganisationBasis | None

    @property
    def inherited_from_trust(self) -> bool:
        return self.own is None and self.effective.set_by is not None


def bases_at(organisation: Organisation) -> list[BasisRow]:
    """Every category of the register with the basis that applies at
    ``organisation``, in the register's order."""
    view = register_view(organisation.id)
    rows = []
    for _, entry in sorted(view.entries.items()):
        effective = view.basis(entry)
        own = view.own.get(entry.id) if effective.set_by == organisation.id else None
        rows.append(BasisRow(entry, effective, own))
    return rows


def fallback_of(organisation: Organisation, entry: RegisterEntry) -> Effective:
    """What applies at ``organisation`` without a basis of its own: its
    trust's, if the trust set one, else the register's."""
    return register_view(organisation.trust_id).basis(entry)


def own_basis(organisation: Organisation, entry: RegisterEntry) -> OrganisationBasis | None:
    return db.session.scalars(
        select(OrganisationBasis).where(
            OrganisationBasis.organisation_id == organisation.id,
            OrganisationBasis.register_entry_id == entry.id,
        )
    ).first()


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise NotAllowed("only administrators set an organisation's lawful basis")


def set_basis(
    organisation: Organisation, entry: RegisterEntry, values: Mapping[str, Any], actor: User
) -> bool:
    """Set ``organisation``'s own basis and wording for ``entry``; True if
    anything changed. Nothing is stored if a field is invalid, nor
    legitimate interests at a public authority or a school of one
    (``legitimate_interests_refusal``), nor at a trust that is not one
    while its schools that take the trust's basis for the category include
    one (``trust_basis_refusal``). The caller commits.

    A basis and wording equal to what the organisation would inherit (its
    trust's, else the register's) store nothing of its own, and clear an
    own one equal to it: a copy kept as its own would stop the trust's or
    the register's later changes reaching it, though nobody chose that."""
    _require_admin(actor)
    errors = {name: "Not a field of an organisation's basis" for name in sorted(set(values) - set(FIELDS))}
    basis = clean_basis(values.get(BASIS), errors)
    if basis is LawfulBasis.LEGITIMATE_INTERESTS and (
        refusal := legitimate_interests_refusal(organisation) or trust_basis_refusal(organisation, entry)
    ):
        errors[BASIS] = refusal
    wording = clean_text(values.get(WORDING), WORDING, errors, limit=MAX_TEXT, required=True)
    if not errors and (conflict := citation_conflict(wording, basis)):
        errors[WORDING] = conflict
    if errors:
        raise RegisterError(errors)
    assert basis is not None and wording is not None
    # A browser sends a textarea's line breaks as CRLF; they are not wording.
    wording = wording.replace("\r\n", "\n")
    inherited = fallback_of(organisation, entry)
    if inherited.basis is basis and inherited.wording == wording:
        return clear_basis(organisation, entry, actor)
    current = own_basis(organisation, entry)
    if current is not None and current.basis is basis and current.lawful_basis == wording:
        return False
    if current is None:
        current = OrganisationBasis(organisation_id=organisation.id, register_entry_id=entry.id)
        db.session.add(current)
    current.basis, current.lawful_basis = basis, wording
    current.updated_at, current.updated_by_id = utcnow(), actor.id
    _audit("register.basis_set", organisation, entry, actor, basis)
    return True


def clear_basis(organisation: Organisation, entry: RegisterEntry, actor: User) -> bool:
    """Go back to the trust's or the register's basis; True if there was an
    entry of the organisation's own. Refused (``RegisterError`` on
    ``basis``) when that basis is legitimate interests and the organisation
    is, or is a school of, a public authority, or is a trust whose schools
    taking its basis include one (``fallback_refusal``). The caller commits."""
    _require_admin(actor)
    current = own_basis(organisation, entry)
    if current is None:
        return False
    fallback = fallback_of(organisation, entry)
    whose = "its trust's" if fallback.set_by is not None else "the register's"
    if refusal := fallback_refusal(organisation, entry, fallback.basis, whose):
        raise RegisterError({BASIS: refusal})
    db.session.delete(current)
    _audit("register.basis_cleared", organisation, entry, actor, None)
    return True


def _audit(
    action: str, organisation: Organisation, entry: RegisterEntry, actor: User, basis: LawfulBasis | None
) -> None:
    data: dict[str, Any] = {
        "register_entry_id": str(entry.id),
        "source": entry.source,
        "category": entry.category,
    }
    if basis is not None:
        data["basis"] = basis.value
    record(
        action,
        actor_type="user",
        actor_id=actor.id,
        object_type="organisation",
        object_id=organisation.id,
        data=data,
    )
