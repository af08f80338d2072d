"""marshmallow schemas for a rectification case's corrections
(``/cases/<reference>/rectification``).

The request schemas state what a JSON Schema can (the record kinds, the
field names, plain text); each field's own rule (a UPN's check letter, a
real date, an email address) is the service's and answers 422 with that
field's message on ``value``.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import RequestSchema, written_text
from app.cases.models import CaseStatus
from app.rectification.fields import FIELDS
from app.rectification.models import ProposalStatus
from app.rectification.services import REASON_MAX_LENGTH
from app.sources.protocol import PersonKind

VALUE_MAX_LENGTH = 400
_FIELD_NAMES = sorted({name for fields_ in FIELDS.values() for name in fields_})

# --- requests ------------------------------------------------------------------


class ProposalCreateSchema(RequestSchema):
    kind = fields.Enum(
        PersonKind, by_value=True, required=True, metadata={"description": "The store the record is in."}
    )
    record_id = fields.UUID(
        required=True, metadata={"description": "A record confirmed as the subject (see /candidates)."}
    )
    field = fields.String(
        required=True,
        validate=validate.OneOf(_FIELD_NAMES),
        metadata={"description": "The store's field; each record in `records` lists its choices."},
    )
    value = written_text(
        max_length=VALUE_MAX_LENGTH,
        required_text=False,
        allow_none=True,
        load_default=None,
        metadata={"description": "The corrected value; dates as YYYY-MM-DD. Empty clears an optional field."},
    )


class ProposalDecisionSchema(RequestSchema):
    proposal_id = fields.UUID(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "refuse"]))
    reason = written_text(
        max_length=REASON_MAX_LENGTH,
        required_text=False,
        allow_none=True,
        load_default=None,
        metadata={"description": "Needed to refuse: the confirmation letter tells the requester why."},
    )


# --- responses -----------------------------------------------------------------


class ProposalSchema(Schema):
    id = fields.UUID(required=True)
    kind = fields.Enum(PersonKind, by_value=True, required=True)
    record_id = fields.UUID(required=True)
    field = fields.String(required=True)
    label = fields.String(required=True)
    before = fields.String(required=True, allow_none=True, metadata={"description": "When proposed."})
    after = fields.String(required=True, allow_none=True)
    current = fields.String(
        required=True, allow_none=True, metadata={"description": "What the record holds now."}
    )
    drifted = fields.Boolean(
        required=True,
        metadata={"description": "The record no longer holds the value this proposal was made on."},
    )
    status = fields.Enum(ProposalStatus, by_value=True, required=True)
    reason = fields.String(required=True, allow_none=True)
    decided_by_id = fields.UUID(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True, allow_none=True)
    applied_at = fields.DateTime(required=True, allow_none=True)
    letter_id = fields.UUID(required=True, allow_none=True)


class FieldChoiceSchema(Schema):
    name = fields.String(required=True)
    label = fields.String(required=True)
    required = fields.Boolean(required=True)


class ConfirmedRecordSchema(Schema):
    kind = fields.Enum(PersonKind, by_value=True, required=True)
    record_id = fields.UUID(required=True)
    choices = fields.List(fields.Nested(FieldChoiceSchema), required=True)


class LetterSchema(Schema):
    id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    destroyed_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the file was destroyed with the reduced case record (410 after)."},
    )


class RectificationSchema(Schema):
    status = fields.Enum(CaseStatus, by_value=True, required=True, metadata={"description": "The case's."})
    records = fields.List(fields.Nested(ConfirmedRecordSchema), required=True)
    proposals = fields.List(fields.Nested(ProposalSchema), required=True)
    letter = fields.Nested(LetterSchema, required=True, allow_none=True)
