"""What a data portability request covers (Art 20(1)): by the register's
basis and whether the person gave the data, and, for correspondence, by who
wrote each message. Then on a real gathered case: the review decides only
the items in scope, approval needs only those, and the register's facts
(as an admin changes them) move categories in and out."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseStatus, RequestType
from app.collect.models import CollectedItem
from app.extensions import db
from app.portability.scope import Reason, split
from app.register.models import LawfulBasis, RegisterEntry
from app.review import listing, services
from app.review.models import Action
from tests.unit.portability.factory import contract_with_parents
from tests.unit.review.factory import gathered_amelia, items_of


def _entry(source: str, category: str, basis: LawfulBasis, provided: bool) -> RegisterEntry:
    return RegisterEntry(
        source=source,
        category=category,
        title=f"{source} {category}",
        basis=basis,
        provided_by_person=provided,
    )


def _item(source: str, category: str, key: str, **data) -> CollectedItem:
    return CollectedItem(source=source, category=category, key=key, title=key, data_json=json.dumps(data))


def test_split_keeps_data_given_on_contract_or_consent_and_counts_the_rest_by_reason():
    register = {
        ("contacts", "identity"): _entry("contacts", "identity", LawfulBasis.CONTRACT, True),
        ("consent", "consent"): _entry("consent", "consent", LawfulBasis.CONSENT, True),
        ("pupils", "attendance"): _entry("pupils", "attendance", LawfulBasis.CONTRACT, False),
        ("pupils", "send"): _entry("pupils", "send", LawfulBasis.PUBLIC_TASK, True),
        ("correspondence", "correspondence"): _entry(
            "correspondence", "correspondence", LawfulBasis.CONTRACT, True
        ),
    }
    items = [
        _item("contacts", "identity", "c1"),
        _item("consent", "consent", "k1"),
        _item("pupils", "attendance", "a1"),
        _item("pupils", "attendance", "a2"),
        _item("pupils", "send", "s1"),
        _item("correspondence", "correspondence", "m1", subject_is=["sender", "named"]),
        _item("correspondence", "correspondence", "m2", subject_is=["recipient"]),
        _item("correspondence", "correspondence", "m3", subject_is=["named"]),
        _item("helpdesk", "support_ticket", "t1"),
    ]
    scope = split(items, register)
    assert [item.key for item in scope.included] == ["c1", "k1", "m1"]
    found = {(e.source, e.category): (e.reason, e.count, e.basis) for e in scope.excluded}
    assert found == {
        ("pupils", "attendance"): (Reason.NOT_PROVIDED, 2, None),
        ("pupils", "send"): (Reason.BASIS, 1, "Public task (Article 6(1)(e))"),
        ("correspondence", "correspondence"): (Reason.NOT_WRITTEN_BY_PERSON, 2, None),
        ("helpdesk", "support_ticket"): (Reason.NOT_IN_REGISTER, 1, None),
    }


@pytest.mark.parametrize(
    ("basis", "covered"),
    [
        (LawfulBasis.CONSENT, True),
        (LawfulBasis.CONTRACT, True),
        (LawfulBasis.LEGAL_OBLIGATION, False),
        (LawfulBasis.VITAL_INTERESTS, False),
        (LawfulBasis.PUBLIC_TASK, False),
        (LawfulBasis.LEGITIMATE_INTERESTS, False),
    ],
)
def test_only_consent_and_contract_bring_data_the_person_gave_into_the_right(basis, covered):
    register = {("consent", "consent"): _entry("consent", "consent", basis, True)}
    scope = split([_item("consent", "consent", "k1")], register)
    assert bool(scope.included) is covered
    assert [e.reason for e in scope.excluded] == ([] if covered else [Reason.BASIS])


@pytest.fixture
def portability_case(world, caseworker):
    contract_with_parents()
    return gathered_amelia(world, caseworker, request_type=RequestType.PORTABILITY.value)


def _categories(items) -> set[tuple[str, str]]:
    return {(item.source, item.category) for item in items}


def test_a_parent_contract_puts_what_the_family_gave_in_and_what_the_school_recorded_out(portability_case):
    collected = list(items_of(portability_case).values())
    review = listing.review(portability_case, with_suggestions=False)
    reviewed = {(e.item.source, e.item.category) for e in review.items}
    assert ("pupils", "identity") in reviewed and ("consent", "consent") in reviewed
    for school_recorded in [("pupils", "attendance"), ("pupils", "assessment"), ("pupils", "send")]:
        assert school_recorded in _categories(collected) and school_recorded not in reviewed
    excluded = {(e.source, e.category): e for e in review.not_portable}
    assert excluded[("pupils", "attendance")].reason is Reason.NOT_PROVIDED
    # The letters about Amelia were written by her teacher, not by her.
    assert excluded[("correspondence", "correspondence")].reason is Reason.NOT_WRITTEN_BY_PERSON
    assert review.progress.total + sum(e.count for e in review.not_portable) == len(collected)


def test_a_state_schools_seeded_register_leaves_a_pupils_data_outside_the_right(world, caseworker):
    case = gathered_amelia(world, caseworker, request_type=RequestType.PORTABILITY.value)
    review = listing.review(case, with_suggestions=False)
    assert review.progress.total == 0
    reasons = {(e.source, e.category): e.reason for e in review.not_portable}
    assert reasons[("pupils", "identity")] is Reason.BASIS  # public task (Art 20(3))
    assert reasons[("consent", "consent")] is Reason.BASIS  # kept because Art 7(1) requires it
    assert reasons[("pupils", "attendance")] is Reason.BASIS
    identity = next(e for e in review.not_portable if e.category == "identity")
    assert identity.basis == "Public task (Article 6(1)(e))"


def test_an_access_request_reviews_every_item_and_lists_nothing_as_not_portable(world, caseworker):
    case = gathered_amelia(world, caseworker)
    review = listing.review(case, with_suggestions=False)
    assert review.progress.total == len(items_of(case)) and review.not_portable == []


def test_approval_needs_decisions_on_the_items_in_scope_only(portability_case, caseworker):
    with pytest.raises(IllegalTransition):
        services.approve(portability_case, caseworker)
    decided = services.decide_many(
        portability_case, [], Action.DISCLOSE, None, None, caseworker, undecided=True
    )
    assert len(decided) == listing.progress(portability_case).total > 0
    services.approve(portability_case, caseworker)
    db.session.commit()
    assert portability_case.status is CaseStatus.APPROVED


def test_an_item_outside_the_right_cannot_be_decided(portability_case, caseworker):
    attendance = next(i for i in items_of(portability_case).values() if i.category == "attendance")
    with pytest.raises(LookupError):
        listing.item_of(portability_case, attendance.key)


def test_a_category_the_register_moves_to_public_task_leaves_the_review(portability_case):
    identity = db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == "pupils", RegisterEntry.category == "identity")
    ).one()
    identity.basis = LawfulBasis.PUBLIC_TASK
    db.session.flush()
    review = listing.review(portability_case, with_suggestions=False)
    assert ("pupils", "identity") not in {(e.item.source, e.item.category) for e in review.items}
    moved = next(e for e in review.not_portable if (e.source, e.category) == ("pupils", "identity"))
    assert moved.reason is Reason.BASIS and moved.basis == "Public task (Article 6(1)(e))"
