"""marshmallow schemas for support-access grants and their uses."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import JsonInteger, PageQuerySchema, PageSchema, RequestSchema, written_text
from app.sources.access_log.grants import DEFAULT_DAYS, LOOKING_ACTIONS, MAX_AREA, MAX_DAYS, STATES
from app.sources.correspondence.models import PersonKind


class GrantCreateSchema(RequestSchema):
    agent_email = fields.Email(
        allow_none=True,
        validate=validate.Length(max=320),
        metadata={"description": "The support team member's email: their account names them."},
    )
    agent_name = written_text(
        max_length=200,
        allow_none=True,
        metadata={"description": "The support team member's name; needed when no email is given."},
    )
    purpose = written_text(max_length=300, required=True)
    ticket_id = fields.UUID(allow_none=True)
    scope = written_text(max_length=100, required_text=False, allow_none=True)
    days = JsonInteger(
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_DAYS),
        metadata={"description": f"How long the permission lasts; {DEFAULT_DAYS} days when left out."},
    )


class GrantRevokeSchema(RequestSchema):
    grant_id = fields.UUID(required=True)


class GrantSchema(Schema):
    id = fields.UUID(required=True)
    organisation_id = fields.UUID(required=True)
    ticket_id = fields.UUID(allow_none=True)
    granted_by_name = fields.String(required=True)
    granted_by_user_id = fields.UUID(allow_none=True)
    agent_name = fields.String(required=True)
    purpose = fields.String(allow_none=True)
    scope = fields.String(required=True)
    granted_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True)
    state = fields.String(required=True, metadata={"enum": list(STATES)})


class GrantPageSchema(PageSchema):
    items = fields.List(fields.Nested(GrantSchema), required=True)


class UseCreateSchema(RequestSchema):
    grant_id = fields.UUID(required=True)
    person_kind = fields.Enum(PersonKind, by_value=True, required=True)
    person_id = fields.UUID(required=True, metadata={"description": "The record looked at."})
    area = written_text(
        max_length=MAX_AREA,
        required=True,
        metadata={"description": "Which screen or part of the record, e.g. Pupil record."},
    )
    action = fields.String(
        load_default="view",
        validate=validate.OneOf(LOOKING_ACTIONS),
        metadata={"description": "Support only looks at a record; view when left out."},
    )


class UseListQuerySchema(PageQuerySchema):
    grant_id = fields.UUID(
        load_default=None,
        metadata={"description": "Only this permission's uses; every permission's when left out."},
    )


class UseSchema(Schema):
    """One access-log entry made under a grant: ids and codes only."""

    id = fields.UUID(required=True)
    grant_id = fields.UUID(required=True)
    organisation_id = fields.UUID(required=True)
    occurred_at = fields.DateTime(required=True)
    person_kind = fields.Enum(PersonKind, by_value=True, required=True)
    person_id = fields.UUID(required=True)
    action = fields.String(required=True)
    area = fields.String(required=True)


class UsePageSchema(PageSchema):
    items = fields.List(fields.Nested(UseSchema), required=True)
