"""Rendering the emails a case sends, from the templates in ``sar_templates/``.

Each letter is a pair of templates, ``letters/<name>.txt`` and
``letters/<name>.html``, sharing a base layout; the text one also holds the
subject line (block ``subject``). ``LETTERS`` says what each letter needs; a
missing value is an error before anything renders, and ``StrictUndefined``
catches any the registry forgot, so no letter ever goes out with a blank
where a date should be.

The environment is separate from Flask's: letters render the same in a web
request, a worker job or a script, and no web-page global leaks into mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.intake.choices import REQUEST_TYPE_PHRASES, SUBJECT_ROLE_PHRASES
from app.intake.codes import CODE_LIFETIME

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent.parent / "sar_templates"

ICO_COMPLAINT_URL = "https://ico.org.uk/make-a-complaint/"
ICO_PHONE = "0303 123 1113"


@dataclass(frozen=True)
class LetterSpec:
    """One letter: who it is for and the context keys it needs."""

    audience: str  # "requester", "school" or "staff"
    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    description: str = ""


def _spec(audience: str, required: str, optional: str = "", description: str = "") -> LetterSpec:
    return LetterSpec(audience, frozenset(required.split()), frozenset(optional.split()), description)


# name -> what the template needs. Dates are ``datetime.date``; request_type
# and subject_role are the enum values ("access", "pupil").
LETTERS: dict[str, LetterSpec] = {
    "acknowledgement": _spec(
        "requester",
        "requester_name reference request_type organisation_name received_on due_on needs_identity",
        "status_url",
        "Sent on confirmation: the reference, what happens next and the statutory due date.",
    ),
    "school_notification": _spec(
        "school",
        "contact_name organisation_name reference request_type subject_role received_on due_on case_url",
        "",
        "To the school's registered data protection contact, at once on confirmation.",
    ),
    "identity_request": _spec(
        "requester",
        "requester_name reference needs_authority status_url",
        "",
        "Asks for proof of identity (and of authority when acting for someone else).",
    ),
    "identity_accepted": _spec(
        "requester",
        "requester_name reference for_someone_else received_on start_on due_on",
        "",
        "Identity (and authority, for someone acting for another) is accepted: the clock runs, from "
        "which day, and the date the response is due (the statutory date only: the company's internal "
        "target is its own procedure, not promised to requesters).",
    ),
    "clarification_request": _spec(
        "requester",
        "requester_name reference question asked_on",
        "status_url",
        "Asks a question; the clock is paused until the answer arrives.",
    ),
    "clock_restarted": _spec(
        "requester",
        "requester_name reference answered_on restarts_on due_on",
        "",
        "The answer to a clarification question arrived: the clock runs again, and the new due date.",
    ),
    "extension_notice": _spec(
        "requester",
        "requester_name reference reasons original_due_on new_due_on",
        "",
        "More time (up to two further months), with reasons; sent before the original due date.",
    ),
    "refusal": _spec(
        "requester",
        "requester_name reference reason organisation_name",
        "detail",
        "The request is refused, with the reason and the right to complain to the ICO or a court.",
    ),
    "reminder": _spec(
        "staff",
        "recipient_name reference organisation_name due_on working_days_left case_url",
        "about_statutory internal_target_on internal_days_left internal_today internal_missed",
        "A case's statutory due date is in N working days (N > 0), today (0) or passed (N < 0); and/or "
        "the company's earlier internal target is near or missed (never called the statutory date).",
    ),
    "email_confirmation": _spec(
        "requester",
        "requester_name code confirm_url",
        "",
        "The 6-digit code and a link that confirm the requester's email address.",
    ),
    "status_link": _spec(
        "requester",
        "requester_name reference status_url",
        "",
        "A new private link to the status page, asked for with the reference and the email address.",
    ),
    "withdrawal_confirmed": _spec(
        "requester",
        "requester_name reference form_url",
        "asked_by",
        "Staff recorded that the requester withdrew a confirmed request: it is confirmed to them.",
    ),
    "unconfirmed_withdrawal": _spec(
        "requester",
        "requester_name days form_url",
        "",
        "The email address was not confirmed within `days` days: the request is closed (no reference).",
    ),
    "pack_link": _spec(
        "requester",
        "recipient_name reference link_url expires_at max_downloads for_school",
        "on_behalf_of organisation_name",
        "The secure link to the response pack (requester, the school's contact, or the organisation a "
        "portability requester named: on_behalf_of is then the requester's name); no code in it.",
    ),
    "pack_transmitted": _spec(
        "requester",
        "requester_name reference organisation_name sent_to_name sent_to_email expires_at code",
        "",
        "A portability request's data was sent to the organisation the requester named (Art 20(2)): "
        "to whom, at which address, until when the link works, and the link's code, which the requester "
        "gives the organisation only if they meant the data to go there.",
    ),
    "erasure_done": _spec(
        "requester",
        "requester_name reference organisation_name erased_on erased kept backups_clear_on recipients",
        "",
        "The erasure is done: what was erased and what was kept with its reason (no record content), "
        "and who else was told (recipients: app.recipients.told.RecipientsTold, None if nothing changed).",
    ),
    "rectification_done": _spec(
        "requester",
        "requester_name reference organisation_name corrected_on corrections not_corrected recipients",
        "",
        "The corrections are made: which fields were corrected, which not and why (no values), "
        "and who else was told (recipients: app.recipients.told.RecipientsTold, None if nothing changed).",
    ),
    "restriction_started": _spec(
        "requester",
        "requester_name reference organisation_name whose restricted lifted",
        "",
        "The answer to a restriction request: the kinds of record restricted (never their content), what "
        "restriction means (Art 18(2)) and that they are told before it is lifted.",
    ),
    "nothing_held": _spec(
        "requester",
        "requester_name reference organisation_name request_type whom dob_given searched by_record "
        "own_address searched_on outcome due_on backup_days form_url",
        "",
        "The answer when the search found no record of the person: the person stores searched by the "
        "details given, and how the stores organised by person record and email address were (own address "
        "for someone asking about themself) with what that cannot find (a name only in a message's text); "
        "that none holds personal data about the person (Art 15(1): confirmation), what that means for the "
        "request, that deleted data may stay in backups until they age out, that the school was told and "
        "must answer for its other records by the due date, how to make a new request if something was "
        "missed, and the right to complain to the ICO.",
    ),
    "nothing_held_school": _spec(
        "school",
        "contact_name organisation_name reference request_type subject_role searched searched_on due_on "
        "case_url",
        "",
        "To the school's data protection contact when a request is answered as nothing held: the systems "
        "it uses through us hold no personal data about the subject, and it must check its other records "
        "and answer the requester about any by the due date. No requester or subject details.",
    ),
    "objection_decided": _spec(
        "requester",
        "requester_name reference organisation_name whose objections any_rejected",
        "",
        "The answer to an objection: each objection upheld (processing stops, any consent withdrawn), "
        "rejected with its grounds, or outside the right to object with the basis the processing is used "
        "on (Art 21(1)); the right to complain to the ICO and to go to court.",
    ),
    "consent_withdrawn": _spec(
        "requester",
        "requester_name reference organisation_name whose withdrawn withdrawn_on",
        "",
        "The answer to a consent-withdrawal request: each consent withdrawn (its purpose and the wording "
        "agreed to) and from when, that what was done on it before stays lawful (Art 7(3)), how to give "
        "consent again, and the right to complain to the ICO.",
    ),
    "pack_code": _spec(
        "requester",
        "recipient_name reference code expires_at",
        "",
        "The 6-digit code for a response pack link, always in an email of its own.",
    ),
}


class LetterError(ValueError):
    """The letter is unknown or its context is incomplete."""


@dataclass(frozen=True)
class RenderedLetter:
    subject: str
    text: str
    html: str


def format_date(value: date | datetime | None) -> str:
    """``3 October 2024``: the GOV.UK style, no leading zero, no weekday."""
    if value is None:
        raise LetterError("a date in a letter is missing")
    if isinstance(value, datetime):
        value = value.date()
    return f"{value.day} {value:%B %Y}"


_UK = ZoneInfo("Europe/London")


def format_moment(value: datetime | None) -> str:
    """``4:37pm on 1 December 2026 (UK time)``: a moment a reader acts
    before, such as a link's expiry, in the time on their clocks."""
    if value is None:
        raise LetterError("a time in a letter is missing")
    local = value.astimezone(_UK)
    hour = local.hour % 12 or 12
    return f"{hour}:{local:%M}{'am' if local.hour < 12 else 'pm'} on {format_date(local.date())} (UK time)"


def _request_type(value: Any) -> str:
    key = getattr(value, "value", value)
    return REQUEST_TYPE_PHRASES.get(key, str(key).replace("_", " "))


def _subject_role(value: Any) -> str:
    key = getattr(value, "value", value)
    return SUBJECT_ROLE_PHRASES.get(key, str(key).replace("_", " "))


def _plural(count: int, one: str, many: str) -> str:
    return one if abs(count) == 1 else many


@lru_cache(maxsize=4)
def letter_environment(root: Path = TEMPLATE_ROOT) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(root)),
        # Only .html escapes: the text part is plain text, and escaping it
        # would show "&amp;" to the reader.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date"] = format_date
    env.filters["moment"] = format_moment
    env.filters["request_type"] = _request_type
    env.filters["subject_role"] = _subject_role
    env.filters["plural"] = _plural
    env.globals.update(
        ico_complaint_url=ICO_COMPLAINT_URL,
        ico_phone=ICO_PHONE,
        code_lifetime_minutes=int(CODE_LIFETIME.total_seconds() // 60),
        service_name="Rights Desk",
    )
    return env


def check_context(name: str, context: Mapping[str, Any]) -> LetterSpec:
    spec = LETTERS.get(name)
    if spec is None:
        raise LetterError(f"no letter called {name!r}; letters are: {', '.join(sorted(LETTERS))}")
    missing = sorted(key for key in spec.required if key not in context)
    if missing:
        raise LetterError(f"letter {name!r} needs {', '.join(missing)} in its context")
    unexpected = sorted(set(context) - spec.required - spec.optional)
    if unexpected:
        # Usually a misspelt key, which would otherwise be silently unused.
        raise LetterError(f"letter {name!r} does not use {', '.join(unexpected)}")
    return spec


def render_letter(name: str, context: Mapping[str, Any]) -> RenderedLetter:
    """Render one letter as a subject, a text part and an HTML part."""
    check_context(name, context)
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


def absolute_url(endpoint: str, **values: Any) -> str:
    """A full link for an email, in a web request or a worker job alike,
    built on the configured ``RIGHTSDESK_BASE_URL``: never on the request's
    Host header, which whoever sends the request chooses."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["RIGHTSDESK_BASE_URL"].rstrip("/") + path


def _tidy(text: str) -> str:
    # Template logic leaves runs of blank lines; one blank line between
    # paragraphs reads best in every mail client.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"
