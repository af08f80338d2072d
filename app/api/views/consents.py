"""``/consents``: record a grant or withdrawal, read a person's ledger and
current state, and make the person's public withdrawal link."""

from __future__ import annotations

from typing import Any

from app.accounts.scoping import can_see_organisation
from app.api.auth import current_user
from app.api.consent_schemas import (
    ConsentCreateSchema,
    ConsentLedgerSchema,
    ConsentRecordSchema,
    PersonQuerySchema,
    PersonSchema,
    WithdrawalLinkSchema,
)
from app.api.errors import ApiError
from app.api.routing import operation
from app.api.views import bp
from app.extensions import db
from app.sources.consent import services
from app.sources.consent.links import withdrawal_url
from app.sources.consent.models import ConsentRecord
from app.sources.validation import FieldError


def _person(values: dict[str, Any]) -> services.Person:
    """The person named by the input, if the caller may see them (404 otherwise)."""
    person = services.Person(values["organisation_id"], values["person_kind"], values["person_id"])
    if not can_see_organisation(current_user(), person.organisation_id):
        raise ApiError(404)
    try:
        services.check_person(person)
    except FieldError:
        raise ApiError(404) from None
    return person


@operation(
    bp,
    "/consents",
    "POST",
    summary="Record consent given or withdrawn",
    tag="consent",
    errors=(404,),
    body=ConsentCreateSchema,
    response=ConsentRecordSchema,
    status=201,
)
def create_consent(body: dict[str, Any]) -> ConsentRecord:
    """Appends to the ledger (nothing is ever edited). Reusing a wording
    version with different words is refused (422 on ``wording``)."""
    person = _person(body)
    user = current_user()
    try:
        row = services.record_consent(
            person,
            purpose=body["purpose"],
            decision=body["decision"],
            wording=body["wording"],
            wording_version=body["wording_version"],
            method=body["method"],
            evidence=body.get("evidence"),
            recorded_by=body.get("recorded_by") or user.name,
            actor_id=user.id,
        )
    except FieldError as exc:
        db.session.rollback()
        raise ApiError(422, fields={exc.field: [exc.message]}) from None
    db.session.commit()
    return row


@operation(
    bp,
    "/consents",
    "GET",
    summary="A person's consent ledger and current state",
    tag="consent",
    errors=(404,),
    query=PersonQuerySchema,
    response=ConsentLedgerSchema,
)
def get_consents(query: dict[str, Any]) -> dict[str, Any]:
    person = _person(query)
    return {"current": services.current_state(person), "history": services.history(person)}


@operation(
    bp,
    "/consents/withdrawal-link",
    "POST",
    summary="The person's public withdrawal link",
    tag="consent",
    errors=(404,),
    body=PersonSchema,
    response=WithdrawalLinkSchema,
)
def make_withdrawal_link(body: dict[str, Any]) -> dict[str, str]:
    """A signed link to print on letters: it lists the person's consents
    (without their name) and lets them withdraw any of them."""
    return {"url": withdrawal_url(_person(body))}
