"""A child's own rights when someone else asks about them.

The rights are the child's, not the parent's. The ICO expects a controller,
before answering a parent, to consider whether the child is mature enough
to understand their rights: if so, it should usually answer the child, and
let the parent act only if the child agrees or it is evidently in the
child's best interests. In Scotland a child of 12 or over is presumed
mature enough (Data Protection Act 2018 s.208); elsewhere there is no fixed
age, and the ICO treats 12 as a reasonable starting point. Once the person
is 18 a parent has no say at all: only the person's own written authority
lets someone else ask.

This module only works out which of these applies to a case, from the
date of birth typed on the form and the day the request was received, so
the console can say so before anything is disclosed. The judgement, and
its record (the identity decision's authority and reason), stay with staff.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from app.cases.models import Case, Relationship, SubjectRole
from app.orgs.models import Nation

# From this age the child's own view must be considered (presumed competent in Scotland).
CONSIDER_FROM = 12
ADULT_FROM = 18


class ChildsRights(enum.StrEnum):
    # 12 to 17: may be mature enough to exercise their own rights.
    MAY_DECIDE = "may_decide"
    # Scotland, 12 to 17: presumed mature enough unless shown otherwise.
    PRESUMED_COMPETENT = "presumed_competent"
    # 18 or over: an adult; a parent needs the person's written authority.
    ADULT = "adult"


@dataclass(frozen=True)
class ChildsView:
    """What the console shows: the rule that applies and the age it follows from."""

    rule: ChildsRights
    age: int
    received_on: date


def age_on(born: date, day: date) -> int:
    """Whole years from ``born`` to ``day``; someone born on 29 February
    turns a year older on 1 March in a common year, as in UK law."""
    years = day.year - born.year
    if (day.month, day.day) < (born.month, born.day):
        years -= 1
    return years


def childs_view(case: Case) -> ChildsView | None:
    """For a parent or carer asking about a pupil aged 12 or over on the day
    the request was received, which rule applies; None otherwise (someone
    asking about themselves, an authorised third party, a younger child, or
    a record whose date of birth has been removed)."""
    if case.requester_relationship is not Relationship.PARENT_CARER:
        return None
    if case.subject_role is not SubjectRole.PUPIL:
        return None
    born = case.subject_date_of_birth
    if born is None:
        return None
    age = age_on(born, case.received_on)
    if age >= ADULT_FROM:
        rule = ChildsRights.ADULT
    elif age >= CONSIDER_FROM:
        scottish = case.organisation is not None and case.organisation.nation is Nation.SCOTLAND
        rule = ChildsRights.PRESUMED_COMPETENT if scottish else ChildsRights.MAY_DECIDE
    else:
        return None
    return ChildsView(rule, age, case.received_on)
