"""marshmallow schemas for the processing register (``/register``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import RequestSchema
from app.register.services import MAX_LIST, MAX_LIST_ITEM, MAX_TEXT, MAX_TITLE

_TEXT = validate.Length(min=1, max=MAX_TEXT)
_LINES = fields.List(
    fields.String(validate=validate.Length(min=1, max=MAX_LIST_ITEM)),
    validate=validate.Length(min=1, max=MAX_LIST),
)


class RegisterEntrySchema(Schema):
    id = fields.UUID(required=True)
    source = fields.String(required=True, metadata={"description": "The store, e.g. pupils."})
    category = fields.String(required=True, metadata={"description": "The item category, e.g. attendance."})
    title = fields.String(required=True)
    description = fields.String(required=True)
    purposes = fields.List(fields.String(), required=True)
    lawful_basis = fields.String(required=True)
    special_category_condition = fields.String(required=True, allow_none=True)
    recipients = fields.List(fields.String(), required=True)
    retention = fields.String(required=True)
    origin = fields.String(required=True)
    automated_decisions = fields.String(required=True)
    transfers = fields.String(required=True)
    updated_at = fields.DateTime(required=True)


class RegisterListSchema(Schema):
    items = fields.List(fields.Nested(RegisterEntrySchema), required=True)


class RegisterChangeSchema(RequestSchema):
    """Any subset of the fields; at least one. Lists replace the whole list."""

    title = fields.String(validate=validate.Length(min=1, max=MAX_TITLE))
    description = fields.String(validate=_TEXT)
    purposes = _LINES
    lawful_basis = fields.String(validate=_TEXT)
    special_category_condition = fields.String(
        allow_none=True,
        validate=validate.Length(max=MAX_TEXT),
        metadata={"description": "null or empty when the category holds no special category data."},
    )
    recipients = _LINES
    retention = fields.String(validate=_TEXT)
    origin = fields.String(validate=_TEXT)
    automated_decisions = fields.String(validate=_TEXT)
    transfers = fields.String(validate=_TEXT)
