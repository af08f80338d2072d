"""Sending a portability request's data straight to another organisation
(UK GDPR Art 20(2)).

The requester names the organisation and the address it wants the data
at; staff send the newest ready pack there through a secure link. The
link's code does not go with it: it goes to the requester, with where the
data went, and they pass it on. So a wrong or forged address opens
nothing unless the requester, who sees it named, hands over the code. The
requester also gets their own link to the same pack (the Art 20 letter is
their answer, and shows them what the organisation will receive). That
answers the request: an approved case moves to responded. Only a
portability request's pack goes to another organisation: an access
request's pack is the requester's own copy, sent to them.

Every function works in the caller's transaction; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from app.accounts.models import User
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, RequestType
from app.exports.links import DEFAULT_DAYS, DEFAULT_MAX_DOWNLOADS, Recipient, SentLink, send_pack
from app.exports.models import LinkAudience, ResponsePack
from app.extensions import db
from app.letters.services import render_letter
from app.mail.addresses import address_problem
from app.mail.services import send_mail
from app.sources.validation import FieldProblems, check_email, has_control_characters

MAX_NAME = 200
MAIL_CATEGORY = "pack.transmitted"


def check_recipient(name: str | None, email: str | None) -> Recipient:
    """The organisation's name and address, or every problem with them at once."""
    problems = FieldProblems()
    name = (name or "").strip()
    email = (email or "").strip()
    if not name:
        problems.add("organisation_name", "Enter the name of the organisation to send the data to")
    elif len(name) > MAX_NAME:
        problems.add("organisation_name", f"Keep the name to at most {MAX_NAME} characters")
    elif has_control_characters(name):
        problems.add("organisation_name", "Remove the control characters (they are not text)")
    if not email:
        problems.add("organisation_email", "Enter the email address the organisation wants the data sent to")
    elif (
        problems.check(lambda: check_email(email, "organisation_email")) is not None
        and (problem := address_problem(email)) is not None
    ):
        problems.add("organisation_email", problem)
    problems.raise_any()
    return Recipient(name, email)


def send_to_organisation(
    pack: ResponsePack,
    actor: User | None,
    name: str | None,
    email: str | None,
    *,
    days: int = DEFAULT_DAYS,
    max_downloads: int = DEFAULT_MAX_DOWNLOADS,
    now: datetime | None = None,
) -> SentLink:
    """Send ``pack`` to the organisation the requester named, and tell the
    requester. ``FieldErrors`` for a bad name or address; ``IllegalTransition``
    unless the case is a portability request (and as ``send_pack``)."""
    case = db.session.get(Case, pack.case_id)
    assert case is not None  # the pack cascades with its case
    if case.request_type is not RequestType.PORTABILITY:
        raise IllegalTransition(
            case, None, "only a data portability request's data is sent to another organisation"
        )
    to = check_recipient(name, email)
    limits = {"days": days, "max_downloads": max_downloads, "now": now}
    sent = send_pack(pack, LinkAudience.CONTROLLER, actor, to=to, **limits)
    _tell_requester(case, sent)
    send_pack(pack, LinkAudience.REQUESTER, actor, **limits)
    return sent


def _tell_requester(case: Case, sent: SentLink) -> None:
    letter = render_letter(
        "pack_transmitted",
        {
            "requester_name": case.requester_name,
            "reference": case.reference or "",
            "organisation_name": case.organisation.name,
            "sent_to_name": sent.link.recipient_name,
            "sent_to_email": sent.link.recipient_email,
            "expires_at": sent.link.expires_at,
            "code": sent.code,
        },
    )
    send_mail(
        case.requester_email,
        letter.subject,
        letter.text,
        letter.html,
        category=MAIL_CATEGORY,
        case_id=case.id,
    )
