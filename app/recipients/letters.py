"""Rendering the Art 19 letters (the notice to a recipient, and the school's
list of recipients to tell) and the restriction letters (a lift's advance
notice, its cancellation) with the same templates environment (and layout)
as every other case letter.

They are kept out of ``app.letters.services.LETTERS``, whose registry is
checked letter by letter elsewhere; each says here what its context needs,
and a missing key is an error before anything renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.letters.services import LetterError, RenderedLetter, letter_environment

REQUIRED: dict[str, frozenset[str]] = {
    "recipient_notice": frozenset(
        {
            "recipient_name",
            "reference",
            "organisation_name",
            "change",
            "categories",
            "contact_name",
            "contact_email",
        }
    ),
    # The school's contact asked to tell the recipients we hold no contact for.
    "recipient_notice_school": frozenset(
        {
            "contact_name",
            "reference",
            "organisation_name",
            "change",
            "recipients",
            "case_url",
            "company_email",
        }
    ),
    "restriction_lifted": frozenset(
        {"requester_name", "reference", "organisation_name", "whose", "lift_on", "reason"}
    ),
    # The requester told that a scheduled lift will not happen after all.
    "restriction_lift_cancelled": frozenset(
        {"requester_name", "reference", "organisation_name", "whose", "lift_on"}
    ),
}


def render(name: str, context: Mapping[str, Any]) -> RenderedLetter:
    required = REQUIRED.get(name)
    if required is None:
        raise LetterError(f"no letter called {name!r} here")
    missing = sorted(required - set(context))
    if missing:
        raise LetterError(f"letter {name!r} needs {', '.join(missing)} in its context")
    env = letter_environment()
    values = dict(context)
    text_template = env.get_template(f"letters/{name}.txt")
    html_template = env.get_template(f"letters/{name}.html")
    subject = "".join(text_template.blocks["subject"](text_template.new_context(values))).strip()
    if not subject or "\n" in subject:
        raise LetterError(f"letter {name!r} must have a one-line subject")
    text = text_template.render(values)
    html = html_template.render({**values, "subject": subject})
    return RenderedLetter(subject=subject, text=_tidy(text), html=html)


def _tidy(text: str) -> str:
    # One blank line between paragraphs, as the other letters have.
    tidy: list[str] = []
    for line in (line.rstrip() for line in text.strip().splitlines()):
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"
