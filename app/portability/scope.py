"""What a data portability request covers (UK GDPR Art 20).

Art 20(1) gives the person their data in a structured, commonly used,
machine-readable format only where three things hold: they provided it,
it is used on consent (Art 6(1)(a) or 9(2)(a)) or under a contract with
them (Art 6(1)(b)), and it is processed by automated means. Art 20(3) takes
out processing for a public task; a legal obligation, vital interests and
legitimate interests are outside 20(1) altogether. Everything here is
processed by automated means, so two register facts decide a category:
its basis at the case's controller (``app.register.bases.register_for``:
the school's own, its trust's or the register's; one organisation for the
whole case, the school holding every confirmed record of a trust's case)
and
``RegisterEntry.provided_by_person``.

Two categories are decided item by item: correspondence holds messages the
person wrote and messages others wrote to them or about them, and only the
first are data they provided; a support ticket about a pupil was raised by
school staff, so it is not the pupil's, and it holds its raiser's data.

A portability case gathers every store like an access case (the search is
recorded the same way), then reviews and sends only the items in scope; the
rest is listed, by category and reason, in the review and the letter, so
the person can make an access request for it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.cases.models import Case, RequestType
from app.collect.models import CollectedItem
from app.extensions import db
from app.portability.models import CaseBasis
from app.register.bases import RegisterView, register_for, register_view
from app.register.models import LawfulBasis, OrganisationBasis, RegisterEntry

PORTABLE_BASES = frozenset({LawfulBasis.CONSENT, LawfulBasis.CONTRACT})

Pair = tuple[str, str]


class Reason(enum.StrEnum):
    """Why items are outside the right, most decisive first."""

    NOT_IN_REGISTER = "not_in_register"
    BASIS = "basis"
    NOT_PROVIDED = "not_provided"
    NOT_WRITTEN_BY_PERSON = "not_written_by_person"
    ABOUT_A_PUPIL = "about_a_pupil"

    @property
    def explanation(self) -> str:
        return _EXPLANATIONS[self]


_EXPLANATIONS = {
    Reason.NOT_IN_REGISTER: "The processing register does not describe this kind of data yet, so the "
    "right cannot be shown to apply.",
    Reason.BASIS: "It is not used on the person's consent or under a contract with them, and the right "
    "covers only data used on one of those (Article 20(1)(a) and 20(3)).",
    Reason.NOT_PROVIDED: "The person did not give this data: the school or the service recorded it, and "
    "the right covers only data the person provided (Article 20(1)).",
    Reason.NOT_WRITTEN_BY_PERSON: "Messages others wrote to or about the person: only the messages the "
    "person wrote are data they provided (Article 20(1)).",
    Reason.ABOUT_A_PUPIL: "Support requests school staff raised about a pupil: not data the person gave, "
    "and they hold other people's data (Article 20(1) and (4)).",
}


def _written_by_person(data: Mapping[str, Any]) -> bool:
    return "sender" in (data.get("subject_is") or ())


def _raised_for_themself(data: Mapping[str, Any]) -> bool:
    # A ticket about a pupil was raised by school staff (the helpdesk serves
    # the school's users), so it is neither the pupil's nor only its raiser's.
    return data.get("about_pupil_id") is None


# (source, category) -> whether one item is data the person provided, for
# categories that mix what the person gave with what others recorded.
_ITEM_RULES: dict[tuple[str, str], tuple[Callable[[Mapping[str, Any]], bool], Reason]] = {
    ("correspondence", "correspondence"): (_written_by_person, Reason.NOT_WRITTEN_BY_PERSON),
    ("helpdesk", "support_ticket"): (_raised_for_themself, Reason.ABOUT_A_PUPIL),
}


@dataclass(frozen=True, slots=True)
class Excluded:
    """Items of one category outside the right, for one reason."""

    source: str
    category: str
    title: str
    reason: Reason
    basis: str | None  # the register's basis label, when it is the reason
    count: int

    @property
    def explanation(self) -> str:
        return self.reason.explanation


@dataclass(frozen=True, slots=True)
class Scope:
    included: list[CollectedItem]
    excluded: list[Excluded]


def applies_to(case: Case) -> bool:
    return case.request_type is RequestType.PORTABILITY


def category_reason(entry: RegisterEntry | None, basis: LawfulBasis | None = None) -> Reason | None:
    """Why a whole category is outside the right, or None if it is inside;
    ``basis`` is the one that applies where the item is held (the
    register's when not given)."""
    if entry is None:
        return Reason.NOT_IN_REGISTER
    if (basis or entry.basis) not in PORTABLE_BASES:
        return Reason.BASIS
    if not entry.provided_by_person:
        return Reason.NOT_PROVIDED
    return None


def load_register(case: Case) -> RegisterView:
    """The register as it stands for the case's data: the controller's own
    bases (``app.register.bases.controller_of``), else its trust's, else
    the register's; for a portability request once approved, the bases it
    was approved on (``freeze``)."""
    live = register_for(case)
    if not applies_to(case):
        return live
    frozen = db.session.scalars(select(CaseBasis).where(CaseBasis.case_id == case.id)).all()
    if not frozen:
        return live
    # Transient rows in the shape RegisterView reads: never added to the session.
    own = {
        row.register_entry_id: OrganisationBasis(
            organisation_id=row.set_by_id,
            register_entry_id=row.register_entry_id,
            basis=row.basis,
            lawful_basis=row.lawful_basis,
        )
        for row in frozen
    }
    return RegisterView(live.entries, own)


def freeze(case: Case) -> None:
    """Record the basis of every category for an approved portability
    request, so its pack sends what was reviewed whatever changes later.
    The caller commits."""
    if not applies_to(case):
        return
    view = register_for(case)
    for entry in view.entries.values():
        effective = view.basis(entry)
        db.session.add(
            CaseBasis(
                case_id=case.id,
                register_entry_id=entry.id,
                basis=effective.basis,
                lawful_basis=effective.wording,
                set_by_id=effective.set_by,
            )
        )


def split(
    items: Sequence[CollectedItem], register: RegisterView | Mapping[Pair, RegisterEntry] | None = None
) -> Scope:
    """The items the right covers, in their order, and the rest counted by
    category and reason (in the order the categories first appear), on the
    register as it stands at the case's organisation (``load_register``);
    with no register given, the register's own bases."""
    if register is None:
        register = register_view()
    elif not isinstance(register, RegisterView):
        register = RegisterView(register)
    included: list[CollectedItem] = []
    counts: dict[tuple[str, str, Reason, str | None], int] = {}
    for item in items:
        pair = (item.source, item.category)
        entry = register.get(pair)
        basis = register.basis(entry).basis if entry is not None else None
        reason = category_reason(entry, basis)
        if reason is None and pair in _ITEM_RULES:
            provided, item_reason = _ITEM_RULES[pair]
            reason = None if provided(item.data) else item_reason
        if reason is None:
            included.append(item)
        else:
            label = basis.label if basis is not None and reason is Reason.BASIS else None
            key = (*pair, reason, label)
            counts[key] = counts.get(key, 0) + 1
    excluded = [
        Excluded(
            source=source,
            category=category,
            title=entry.title if (entry := register.get((source, category))) else f"{source}: {category}",
            reason=reason,
            basis=label,
            count=count,
        )
        for (source, category, reason, label), count in counts.items()
    ]
    return Scope(included, excluded)


def in_scope(case: Case, items: Iterable[CollectedItem]) -> list[CollectedItem]:
    """``items`` as the case's review and pack see them: all of them, except
    for a portability request, whose items outside the right are left out."""
    items = list(items)
    return split(items, load_register(case)).included if applies_to(case) else items
