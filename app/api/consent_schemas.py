"""marshmallow schemas for the consent ledger (``/consents``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import RequestSchema, written_text
from app.sources.consent.models import ConsentDecision, ConsentMethod
from app.sources.consent.services import (
    MAX_EVIDENCE,
    MAX_RECORDED_BY,
    MAX_VERSION,
    MAX_WORDING,
    PURPOSE_PATTERN,
)
from app.sources.correspondence.models import PersonKind


class PersonSchema(RequestSchema):
    organisation_id = fields.UUID(required=True)
    person_kind = fields.Enum(PersonKind, by_value=True, required=True)
    person_id = fields.UUID(required=True, metadata={"description": "The pupil, contact or employee record."})


class PersonQuerySchema(PersonSchema):
    """The same three values, given in the query string."""


class ConsentCreateSchema(PersonSchema):
    purpose = fields.String(
        required=True,
        validate=validate.Regexp(PURPOSE_PATTERN, error="Use a code such as photos_website."),
        metadata={"pattern": PURPOSE_PATTERN, "description": "A processing-purpose code."},
    )
    decision = fields.Enum(ConsentDecision, by_value=True, required=True)
    wording = written_text(
        max_length=MAX_WORDING,
        required=True,
        metadata={"description": "The exact words the person was shown."},
    )
    wording_version = written_text(max_length=MAX_VERSION, required=True)
    method = fields.Enum(ConsentMethod, by_value=True, required=True)
    evidence = written_text(
        max_length=MAX_EVIDENCE,
        required_text=False,
        allow_none=True,
        metadata={"description": "Where the proof is, e.g. the signed form's filing reference."},
    )
    recorded_by = written_text(
        max_length=MAX_RECORDED_BY,
        metadata={"description": "Who took the decision down; the caller's name when left out."},
    )


class ConsentRecordSchema(Schema):
    id = fields.UUID(required=True)
    organisation_id = fields.UUID(required=True)
    person_kind = fields.Enum(PersonKind, by_value=True, required=True)
    person_id = fields.UUID(required=True)
    purpose = fields.String(required=True)
    decision = fields.Enum(ConsentDecision, by_value=True, required=True)
    wording = fields.String(required=True)
    wording_version = fields.String(required=True)
    wording_sha256 = fields.String(required=True)
    method = fields.Enum(ConsentMethod, by_value=True, required=True)
    evidence = fields.String(required=True, allow_none=True)
    recorded_by = fields.String(required=True)
    recorded_at = fields.DateTime(required=True)


class PurposeStateSchema(Schema):
    purpose = fields.String(required=True)
    decision = fields.Enum(ConsentDecision, by_value=True, required=True)
    since = fields.DateTime(required=True)
    wording_version = fields.String(required=True)
    method = fields.Enum(ConsentMethod, by_value=True, required=True)


class ConsentLedgerSchema(Schema):
    current = fields.List(fields.Nested(PurposeStateSchema), required=True)
    history = fields.List(fields.Nested(ConsentRecordSchema), required=True)


class WithdrawalLinkSchema(Schema):
    url = fields.String(required=True, metadata={"description": "The person's public withdrawal page."})
