"""Withdrawal links: a signed token naming one person's ledger.

Withdrawing must be as easy as giving, so a link can be printed on any
letter and used years later: it is signed (HMAC with a key derived from
SECRET_KEY for this use only) rather than stored, and carries no expiry.
It opens only the purposes and their wording, never a name, and the only
thing it can do is withdraw.
"""

from __future__ import annotations

import uuid

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.crypto import secret_derived_key
from app.letters.services import absolute_url
from app.sources.consent.services import Person
from app.sources.correspondence.models import PersonKind

_PURPOSE = b"rightsdesk consent withdrawal link v1"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(secret_derived_key(current_app.config["SECRET_KEY"], _PURPOSE), salt="consent")


def withdrawal_token(person: Person) -> str:
    return _serializer().dumps([str(person.organisation_id), person.kind.value, str(person.id)])


def withdrawal_url(person: Person) -> str:
    return absolute_url("consent.withdrawal_page", token=withdrawal_token(person))


def person_for_token(token: str) -> Person | None:
    try:
        organisation_id, kind, person_id = _serializer().loads(token)
        return Person(uuid.UUID(organisation_id), PersonKind(kind), uuid.UUID(person_id))
    except (BadSignature, ValueError, TypeError):
        return None
