"""Whose rights the download pages speak of, by the link's reader and who
made the request: the requester hears "your" only of their own data; a
parent hears of their child by first name; the school's contact hears the
person's name; the receiving organisation hears no name. Who asked, as the
receiving organisation is told, never names anyone."""

from __future__ import annotations

import pytest

from app.cases.models import Case, Relationship
from app.exports.audience import page_wording
from app.exports.models import LinkAudience

SELF, PARENT, THIRD = Relationship.SELF, Relationship.PARENT_CARER, Relationship.AUTHORISED_THIRD_PARTY
REQUESTER, SCHOOL, CONTROLLER = LinkAudience.REQUESTER, LinkAudience.SCHOOL, LinkAudience.CONTROLLER
NAME = "Amelia O'Brien-Núñez"


def _case(relationship: Relationship, subject_name: str | None = NAME) -> Case:
    return Case(requester_relationship=relationship, subject_name=subject_name)


@pytest.mark.parametrize(
    ("audience", "relationship", "subject_name", "whose"),
    [
        (REQUESTER, SELF, NAME, "your"),
        (REQUESTER, PARENT, NAME, "your child Amelia's"),
        (REQUESTER, PARENT, None, "your child's"),
        (REQUESTER, THIRD, NAME, f"{NAME}'s"),
        (REQUESTER, THIRD, None, "the person's"),
        (SCHOOL, SELF, NAME, f"{NAME}'s"),
        (SCHOOL, PARENT, NAME, f"{NAME}'s"),
        (SCHOOL, PARENT, None, "the person's"),
        (CONTROLLER, SELF, NAME, "the person's"),
        (CONTROLLER, PARENT, NAME, "the child's"),
        (CONTROLLER, THIRD, NAME, "the person's"),
    ],
)
def test_whose_rights_follow_the_reader_and_the_requester_when_worded(
    app, audience, relationship, subject_name, whose
):
    assert page_wording(audience, _case(relationship, subject_name)).whose == whose


@pytest.mark.parametrize(
    ("relationship", "asker", "asked"),
    [
        (SELF, "the person", "A person asked us to send you their personal data"),
        (PARENT, "the parent or carer", "A parent or carer asked us to send you their child's personal data"),
        (THIRD, "the representative", "Someone acting for a person asked us to send you that person's"),
    ],
)
def test_the_receiving_organisation_is_told_who_asked_when_worded_without_a_name(
    app, relationship, asker, asked
):
    wording = page_wording(CONTROLLER, _case(relationship))
    assert wording.asker == asker and wording.asked.startswith(asked) and "Amelia" not in wording.asked
