"""How the download pages speak to whoever holds the link.

The same pack reaches three readers (``LinkAudience``): the requester, the
school's data-protection contact, and (portability only) the organisation
the requester asked us to send the data to. Whose data and rights the files
are about depends on the reader and on who made the request: a parent or
carer asks about their child, and the rights are the child's, not theirs.

The code page names nobody (whoever holds only the link learns nothing
from it); only the files page, after the code, uses the subject's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.cases.models import Case, Relationship
from app.exports.models import LinkAudience


@dataclass(frozen=True, slots=True)
class PageWording:
    audience: str  # the LinkAudience value, for the templates' branches
    # Whose rights the letter explains, as this reader says it ("your",
    # "your child Amelia's", "the person's"); may name the subject, so it is
    # for the files page only.
    whose: str
    # For the receiving organisation: who asked for the data to be sent
    # ("the parent or carer"), and what they asked ("A parent or carer
    # asked us to send you their child's personal data"). Never a name.
    asker: str
    asked: str


# Who asked, and for whose data, as the receiving organisation is told.
_ASKERS = {
    Relationship.SELF: ("the person", "A person asked us to send you their personal data"),
    Relationship.PARENT_CARER: (
        "the parent or carer",
        "A parent or carer asked us to send you their child's personal data",
    ),
    Relationship.AUTHORISED_THIRD_PARTY: (
        "the representative",
        "Someone acting for a person asked us to send you that person's personal data",
    ),
}


def _first_name(name: str | None) -> str | None:
    parts = (name or "").split()
    return parts[0] if parts else None


def _whose(audience: LinkAudience, case: Case) -> str:
    relationship, name = case.requester_relationship, case.subject_name
    if audience is LinkAudience.CONTROLLER:
        # The receiving organisation gets the data, not the request: no name.
        return "the child's" if relationship is Relationship.PARENT_CARER else "the person's"
    if audience is LinkAudience.SCHOOL:
        # The school's contact knows its pupils and staff by their full name.
        return f"{name}'s" if name else "the person's"
    if relationship is Relationship.SELF:
        return "your"
    if relationship is Relationship.PARENT_CARER:
        # As the letters say it, by the child's first name.
        first = _first_name(name)
        return f"your child {first}'s" if first else "your child's"
    return f"{name}'s" if name else "the person's"


def page_wording(audience: LinkAudience, case: Case) -> PageWording:
    asker, asked = _ASKERS[case.requester_relationship]
    return PageWording(audience.value, _whose(audience, case), asker, asked)
