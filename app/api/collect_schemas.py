"""marshmallow schemas for finding the subject's records and gathering them
(``/cases/<reference>/candidates``, ``/gather``, ``/items``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import RequestSchema
from app.collect.models import Decision
from app.sources.protocol import PersonKind

_SOURCE_NAME = r"^[a-z][a-z0-9_]{0,39}$"

# --- requests ------------------------------------------------------------------


class CandidateDecisionSchema(RequestSchema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf(["confirm", "reject"]),
        metadata={"description": "confirm: this record is the person; reject: it is not."},
    )


class SourceRetrySchema(RequestSchema):
    source = fields.String(
        required=True,
        validate=validate.Regexp(_SOURCE_NAME, error="Give a source name, e.g. pupils."),
        metadata={"description": "The failed source to collect again.", "pattern": _SOURCE_NAME},
    )


# --- responses -----------------------------------------------------------------


class CandidateSchema(Schema):
    id = fields.UUID(required=True)
    source = fields.String(required=True)
    kind = fields.Enum(PersonKind, by_value=True, required=True)
    record_id = fields.UUID(required=True)
    organisation_id = fields.UUID(required=True)
    score = fields.Float(required=True, metadata={"description": "0 to 1; under 0.5 is a weak match."})
    reasons = fields.List(fields.String(), required=True, metadata={"description": "Codes, e.g. dob_exact."})
    about = fields.String(required=True, metadata={"description": "subject, or requester (acting for them)."})
    summary = fields.Dict(
        required=True, metadata={"description": "What the record says: name, birth date, school."}
    )
    decision = fields.Enum(Decision, by_value=True, required=True)
    decided_by_id = fields.UUID(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True, allow_none=True)


class CandidateListSchema(Schema):
    items = fields.List(fields.Nested(CandidateSchema), required=True)


class SourceProgressSchema(Schema):
    source = fields.String(required=True)
    title = fields.String(
        required=True, metadata={"description": "The system, for the systems-searched list."}
    )
    categories = fields.List(fields.String(), required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(["not_started", "queued", "running", "done", "failed"]),
        metadata={"enum": ["not_started", "queued", "running", "done", "failed"]},
    )
    attempt = fields.Integer(required=True)
    item_count = fields.Integer(required=True, allow_none=True)
    started_at = fields.DateTime(required=True, allow_none=True)
    finished_at = fields.DateTime(required=True, allow_none=True)
    error_code = fields.String(required=True, allow_none=True)
    error_message = fields.String(required=True, allow_none=True)


class GatherSchema(Schema):
    case_status = fields.String(required=True)
    finished = fields.Boolean(required=True, metadata={"description": "Every source is done."})
    item_count = fields.Integer(required=True)
    sources = fields.List(
        fields.Nested(SourceProgressSchema),
        required=True,
        metadata={"description": "Every source searched (or to be), with its status and count."},
    )


class CollectedItemSchema(Schema):
    id = fields.UUID(required=True)
    source = fields.String(required=True)
    category = fields.String(required=True)
    key = fields.String(required=True)
    title = fields.String(required=True)
    occurred_on = fields.Date(required=True, allow_none=True)
    data = fields.Dict(required=True)
    collected_at = fields.DateTime(required=True)


class ItemGroupSchema(Schema):
    category = fields.String(required=True)
    items = fields.List(fields.Nested(CollectedItemSchema), required=True)


class CollectedItemsSchema(Schema):
    count = fields.Integer(required=True)
    categories = fields.List(fields.Nested(ItemGroupSchema), required=True)
