"""The exemptions a withheld or redacted item may rely on (DESIGN §7).

Codes are stored; titles and citations are what the console, the letters and
the disclosure schedule show. The decision is the controller's (the school's),
recorded by whoever enters it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Exemption(enum.StrEnum):
    THIRD_PARTY = "third_party"
    SERIOUS_HARM = "serious_harm"
    CHILD_ABUSE = "child_abuse"
    EXAM_SCRIPTS = "exam_scripts"
    CONFIDENTIAL_REFERENCE = "confidential_reference"
    LEGAL_PRIVILEGE = "legal_privilege"


@dataclass(frozen=True, slots=True)
class ExemptionInfo:
    code: Exemption
    title: str
    citation: str


EXEMPTIONS: dict[Exemption, ExemptionInfo] = {
    info.code: info
    for info in (
        ExemptionInfo(Exemption.THIRD_PARTY, "Information about another person", "DPA 2018 Sch 2 para 16"),
        ExemptionInfo(
            Exemption.SERIOUS_HARM,
            "Likely to cause serious harm to physical or mental health",
            "DPA 2018 Sch 3 Part 4 (education data)",
        ),
        ExemptionInfo(
            Exemption.CHILD_ABUSE,
            "Child abuse data not in the child's best interests to disclose",
            "DPA 2018 Sch 3 Part 5",
        ),
        ExemptionInfo(Exemption.EXAM_SCRIPTS, "Exam scripts", "DPA 2018 Sch 2 para 25"),
        ExemptionInfo(Exemption.CONFIDENTIAL_REFERENCE, "Confidential reference", "DPA 2018 Sch 2 para 24"),
        ExemptionInfo(Exemption.LEGAL_PRIVILEGE, "Legal professional privilege", "DPA 2018 Sch 2 para 19"),
    )
}


# A data portability request is limited by the rights of others in Art 20(4)
# itself: DPA 2018 Sch 2 para 16 modifies Art 15 only.
_PORTABILITY_CITATIONS = {Exemption.THIRD_PARTY: "UK GDPR Art 20(4)"}


def citation(info: ExemptionInfo, *, portability: bool = False) -> str:
    """The provision a withheld or redacted item relies on, for the right
    the request exercises."""
    return _PORTABILITY_CITATIONS.get(info.code, info.citation) if portability else info.citation
