"""marshmallow schemas for an organisation's own lawful basis for a register
category (``/organisations/{id}/bases``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.register_schemas import BASES
from app.api.schemas import RequestSchema, written_text
from app.register.services import MAX_TEXT

SET_BY = ("register", "trust", "organisation")


class OrganisationBasisSchema(Schema):
    register_entry_id = fields.UUID(required=True)
    source = fields.String(required=True, metadata={"description": "The store, e.g. pupils."})
    category = fields.String(required=True, metadata={"description": "The item category, e.g. attendance."})
    title = fields.String(required=True)
    basis = fields.String(
        required=True,
        validate=validate.OneOf(BASES),
        metadata={"description": "The Art 6(1) basis that applies at the organisation, as a code."},
    )
    lawful_basis = fields.String(required=True, metadata={"description": "As the response letters word it."})
    set_by = fields.String(
        required=True,
        validate=validate.OneOf(SET_BY),
        metadata={
            "description": "Whose basis applies: the register's, the organisation's trust's, or the "
            "organisation's own."
        },
    )
    set_by_organisation_id = fields.UUID(
        required=True,
        allow_none=True,
        metadata={
            "description": "The organisation (itself or its trust) whose basis applies; null: the register's."
        },
    )


class OrganisationBasisListSchema(Schema):
    items = fields.List(fields.Nested(OrganisationBasisSchema), required=True)


class OrganisationBasisChangeSchema(RequestSchema):
    """Both fields: the organisation's own basis replaces the trust's or the register's whole."""

    basis = fields.String(required=True, validate=validate.OneOf(BASES))
    lawful_basis = written_text(
        max_length=MAX_TEXT,
        required=True,
        metadata={
            "description": "As the response letters word it. The first point of Art 6(1) it cites, and a "
            'basis name it opens with ("Consent: ..."), must be the basis.'
        },
    )
