"""marshmallow schemas for response packs and their download links
(``/cases/<reference>/packs``, ``/cases/<reference>/links``, ``/links/<id>``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import JsonInteger, RequestSchema
from app.exports.links import DEFAULT_DAYS, DEFAULT_MAX_DOWNLOADS, MAX_DAYS, MAX_DOWNLOADS, LinkState
from app.exports.models import LinkAudience, PackStatus

# --- requests ------------------------------------------------------------------


class LinkCreateSchema(RequestSchema):
    audience = fields.Enum(
        LinkAudience,
        by_value=True,
        required=True,
        metadata={
            "description": "school: the organisation's registered data protection contact. "
            "requester: the person who made the request; this is the response, so an approved "
            "case moves to responded. controller: for a data portability request only, the other "
            "organisation the requester asked us to send their data to (Art 20(2)), named in "
            "organisation_name and organisation_email; this too is the response, and the requester "
            "is told where their data went."
        },
    )
    organisation_name = fields.String(
        load_default=None,
        metadata={"description": "With audience controller: the organisation's name."},
    )
    organisation_email = fields.String(
        load_default=None,
        metadata={"description": "With audience controller: the address it wants the data sent to."},
    )
    days = JsonInteger(
        load_default=DEFAULT_DAYS,
        validate=validate.Range(min=1, max=MAX_DAYS, error="Must be between {min} and {max}."),
        metadata={"description": f"How long the link works, 1 to {MAX_DAYS} days (default {DEFAULT_DAYS})."},
    )
    max_downloads = JsonInteger(
        load_default=DEFAULT_MAX_DOWNLOADS,
        validate=validate.Range(min=1, max=MAX_DOWNLOADS, error="Must be between {min} and {max}."),
        metadata={
            "description": f"Downloads allowed, each file counting as one, 1 to {MAX_DOWNLOADS} "
            f"(default {DEFAULT_MAX_DOWNLOADS})."
        },
    )


# --- responses -----------------------------------------------------------------


class PackSchema(Schema):
    id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    status = fields.Enum(PackStatus, by_value=True, required=True)
    pdf_pages = fields.Integer(required=True, allow_none=True)
    item_count = fields.Integer(required=True, allow_none=True)
    pdf_size = fields.Integer(required=True, allow_none=True, metadata={"description": "Bytes."})
    zip_size = fields.Integer(required=True, allow_none=True, metadata={"description": "Bytes."})
    created_at = fields.DateTime(required=True)
    built_at = fields.DateTime(required=True, allow_none=True)
    built_by_id = fields.UUID(required=True, allow_none=True)
    error_code = fields.String(
        required=True, allow_none=True, metadata={"description": "Why a failed build failed, as a code."}
    )
    error_message = fields.String(required=True, allow_none=True)
    destroyed_at = fields.DateTime(required=True, allow_none=True)


class PackListSchema(Schema):
    items = fields.List(fields.Nested(PackSchema), required=True, metadata={"description": "Newest first."})


_STATES = [state.value for state in LinkState]


class LinkSchema(Schema):
    id = fields.UUID(required=True)
    pack_id = fields.UUID(required=True)
    pack_version = fields.Integer(required=True)
    audience = fields.Enum(LinkAudience, by_value=True, required=True)
    recipient_email = fields.String(
        required=True, allow_none=True, metadata={"description": "Null once the case record is reduced."}
    )
    recipient_name = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The organisation a controller link went to; null for the other audiences "
            "(their names are on the case) and once the case record is reduced."
        },
    )
    state = fields.String(
        required=True,
        validate=validate.OneOf(_STATES),
        metadata={"enum": _STATES, "description": "usable, or why the link no longer opens."},
    )
    created_at = fields.DateTime(required=True)
    created_by_id = fields.UUID(required=True, allow_none=True)
    expires_at = fields.DateTime(required=True)
    max_downloads = fields.Integer(required=True)
    download_count = fields.Integer(required=True)
    failed_code_attempts = fields.Integer(required=True)
    last_download_at = fields.DateTime(required=True, allow_none=True)
    revoked_at = fields.DateTime(required=True, allow_none=True)
    revoked_by_id = fields.UUID(required=True, allow_none=True)


class LinkListSchema(Schema):
    items = fields.List(fields.Nested(LinkSchema), required=True, metadata={"description": "Newest first."})
