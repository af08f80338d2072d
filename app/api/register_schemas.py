"""marshmallow schemas for the processing register (``/register``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import JsonBoolean, RequestSchema, written_text
from app.register.models import LawfulBasis
from app.register.services import MAX_LIST, MAX_LIST_ITEM, MAX_TEXT, MAX_TITLE

BASES = [basis.value for basis in LawfulBasis]


def _lines() -> fields.List:
    return fields.List(written_text(max_length=MAX_LIST_ITEM), validate=validate.Length(min=1, max=MAX_LIST))


def _text() -> fields.String:
    return written_text(max_length=MAX_TEXT)


class RegisterEntrySchema(Schema):
    id = fields.UUID(required=True)
    source = fields.String(required=True, metadata={"description": "The store, e.g. pupils."})
    category = fields.String(required=True, metadata={"description": "The item category, e.g. attendance."})
    title = fields.String(required=True)
    description = fields.String(required=True)
    purposes = fields.List(fields.String(), required=True)
    lawful_basis = fields.String(required=True, metadata={"description": "As the response letters word it."})
    basis = fields.String(
        required=True,
        validate=validate.OneOf(BASES),
        metadata={"description": "The Art 6(1) basis as a code: (a) consent to (f) legitimate_interests."},
    )
    provided_by_person = fields.Boolean(
        required=True,
        metadata={"description": "Whether the person gave this data themself (Art 20(1): portability)."},
    )
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

    title = written_text(max_length=MAX_TITLE)
    description = _text()
    purposes = _lines()
    lawful_basis = _text()
    basis = fields.String(validate=validate.OneOf(BASES))
    provided_by_person = JsonBoolean()
    special_category_condition = written_text(
        max_length=MAX_TEXT,
        required_text=False,
        allow_none=True,
        metadata={"description": "null or empty when the category holds no special category data."},
    )
    recipients = _lines()
    retention = _text()
    origin = _text()
    automated_decisions = _text()
    transfers = _text()
