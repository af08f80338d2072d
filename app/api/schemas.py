"""marshmallow schemas for every request and response of the API.

The OpenAPI document is generated from these, so what is validated and what
is documented cannot drift apart. Request schemas refuse unknown fields and
wrong JSON types (``"5"`` is not an integer); response schemas mark every
field that may be ``null``.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from app.accounts.models import Role
from app.api.services import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from app.api.tokens import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS
from app.orgs.models import Nation, OrgKind

# A token name: 1-100 characters, no control characters, not only spaces.
# The same rule is given to clients as the OpenAPI ``pattern``.
TOKEN_NAME_PATTERN = r"^[^\u0000-\u001f\u007f]*[^\s\u0000-\u001f\u007f][^\u0000-\u001f\u007f]*$"  # noqa: S105 (a regex)
_TOKEN_NAME_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ASCII_INTEGER = re.compile(r"-?[0-9]{1,12}")


# Text a person writes: no control characters but tab and line breaks, and
# (for required text) not only spaces. Given to clients as the OpenAPI
# ``pattern``, so generated "valid" input is valid here too.
_NOT_CONTROL = r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]"
_NOT_CONTROL_OR_SPACE = r"[^\s\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]"
TEXT_PATTERN = f"^{_NOT_CONTROL}*{_NOT_CONTROL_OR_SPACE}{_NOT_CONTROL}*$"
OPTIONAL_TEXT_PATTERN = f"^{_NOT_CONTROL}*$"


def written_text(*, max_length: int, required_text: bool = True, **kwargs: Any) -> fields.String:
    """A string field for text a person writes (see TEXT_PATTERN)."""
    pattern = TEXT_PATTERN if required_text else OPTIONAL_TEXT_PATTERN
    metadata = {"pattern": pattern, **kwargs.pop("metadata", {})}
    checks = [
        validate.Length(min=1 if required_text else 0, max=max_length),
        validate.Regexp(pattern, error="Write plain text: not only spaces, and no control characters."),
    ]
    return fields.String(validate=checks, metadata=metadata, **kwargs)


class QueryInteger(fields.Integer):
    """An integer given in a query string: ASCII digits only, so that
    ``1_000``, `` 7``, ``7\n`` or fullwidth digits are refused rather than
    quietly parsed as Python's ``int()`` would."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str) or not _ASCII_INTEGER.fullmatch(value):
            raise self.make_error("invalid", input=value)
        return int(value)


class JsonBoolean(fields.Boolean):
    """``true`` or ``false`` only, as JSON Schema says: marshmallow's own
    Boolean would also take "yes", 1 or "on"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class JsonInteger(fields.Integer):
    """An integer in a JSON body, as JSON Schema defines one: ``30`` and
    ``30.0`` are integers; ``"30"``, ``true`` and ``30.5`` are not."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        return super()._deserialize(int(value), attr, data, **kwargs)


class TokenName(fields.String):
    """Surrounding whitespace is dropped; control characters are refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise ValidationError("Give the token a name.")
        if _TOKEN_NAME_CONTROL.search(text):
            raise ValidationError("Control characters are not allowed.")
        return text


class RequestSchema(Schema):
    class Meta:
        unknown = "raise"


# --- errors ------------------------------------------------------------------


class ErrorDetailSchema(Schema):
    status = fields.Integer(required=True, metadata={"description": "The HTTP status code, repeated."})
    code = fields.String(
        required=True,
        metadata={"description": "A stable, machine-readable code, e.g. validation_failed, not_found."},
    )
    message = fields.String(required=True, metadata={"description": "A sentence for people."})
    field_errors = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Validation errors only: messages per field name."},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


# --- paging ------------------------------------------------------------------


class PageQuerySchema(RequestSchema):
    page = QueryInteger(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE, error="Must be between {min} and {max}."),
        metadata={"description": "Page number, from 1."},
    )
    per_page = QueryInteger(
        load_default=DEFAULT_PER_PAGE,
        validate=validate.Range(min=1, max=MAX_PER_PAGE, error="Must be between {min} and {max}."),
        metadata={"description": f"Items per page, 1 to {MAX_PER_PAGE}."},
    )


class PageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Items across all pages."})
    pages = fields.Integer(required=True, metadata={"description": "Number of pages (0 when empty)."})


# --- resources ---------------------------------------------------------------


class UserSchema(Schema):
    id = fields.UUID(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    organisation_id = fields.UUID(
        required=True, allow_none=True, metadata={"description": "Set for school staff only."}
    )
    is_active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    last_sign_in_at = fields.DateTime(required=True, allow_none=True)


class UserPageSchema(PageSchema):
    items = fields.List(fields.Nested(UserSchema), required=True)


class InviteSchema(RequestSchema):
    email = fields.String(
        required=True,
        validate=validate.Length(min=3, max=320),
        metadata={"description": "Where the invitation goes; the person signs in with it."},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.Enum(Role, by_value=True, required=True)
    organisation_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "For school staff only: the school or trust they work for."},
    )


class InvitedUserSchema(UserSchema):
    invitation_expires_at = fields.DateTime(
        required=True, metadata={"description": "The emailed link works until then (72 hours)."}
    )
    rejoining = fields.Boolean(
        required=True,
        metadata={
            "description": "A disabled account's owner invited back: every credential of before was "
            "cleared and their API tokens revoked."
        },
    )


class OrganisationSchema(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    kind = fields.Enum(OrgKind, by_value=True, required=True)
    nation = fields.Enum(Nation, by_value=True, required=True)
    urn = fields.String(required=True, allow_none=True, metadata={"description": "DfE unique reference."})
    la_code = fields.String(required=True, allow_none=True)
    establishment_number = fields.String(required=True, allow_none=True)
    trust_id = fields.UUID(
        required=True, allow_none=True, metadata={"description": "The trust a school belongs to."}
    )
    contract_start = fields.Date(required=True)
    contract_end = fields.Date(required=True, allow_none=True)
    dp_contact_name = fields.String(required=True)
    dp_contact_email = fields.String(required=True)
    internal_target_days = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The organisation's own response target in calendar days."},
    )
    public_authority = fields.Boolean(
        required=True,
        metadata={
            "description": "A public authority (state schools, academies, trusts, maintained nursery "
            "schools): legitimate interests cannot be its lawful basis, nor its schools' (UK GDPR Art "
            "6(1), last sentence). Set when the organisation is imported; administrators change it with "
            "PATCH /organisations/{organisation_id}."
        },
    )


class OrganisationChangeSchema(RequestSchema):
    """The fields an administrator may change; an empty object changes nothing."""

    public_authority = JsonBoolean(
        metadata={
            "description": "Whether the organisation is a public authority. Becoming one is refused (422 on "
            "public_authority) while legitimate interests (Art 6(1)(f)) is in effect there: as its own "
            "basis for a category, its trust's or the register's that it takes, or, for a trust, as the "
            "own basis of one of its schools."
        },
    )


class OrganisationPageSchema(PageSchema):
    items = fields.List(fields.Nested(OrganisationSchema), required=True)


class TokenSchema(Schema):
    id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    name = fields.String(required=True)
    prefix = fields.String(
        required=True, metadata={"description": "The token's first characters, to tell tokens apart."}
    )
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(required=True, allow_none=True)
    last_used_at = fields.DateTime(required=True, allow_none=True)


class TokenPageSchema(PageSchema):
    items = fields.List(fields.Nested(TokenSchema), required=True)


class TokenCreateSchema(RequestSchema):
    name = TokenName(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"pattern": TOKEN_NAME_PATTERN, "description": "What the token is for."},
    )
    expires_in_days = JsonInteger(
        load_default=DEFAULT_TOKEN_DAYS,
        validate=validate.Range(min=1, max=MAX_TOKEN_DAYS, error="Must be between {min} and {max}."),
        metadata={
            "description": f"Lifetime in days, 1 to {MAX_TOKEN_DAYS}; {DEFAULT_TOKEN_DAYS} if omitted."
        },
    )


class TokenCreatedSchema(TokenSchema):
    token = fields.String(
        required=True,
        metadata={"description": "The bearer token. Shown only in this response; store it now."},
    )


class RequestReceivedSchema(Schema):
    """The answer to a new public request. There is no reference yet: a case
    gets its SAR reference only once the requester confirms their email."""

    id = fields.UUID(required=True, metadata={"description": "The new case's id."})
    status = fields.String(
        required=True, metadata={"enum": ["submitted"], "description": "Always `submitted`."}
    )
    confirm_url = fields.String(
        required=True,
        metadata={"description": "The page where the requester enters the emailed code."},
    )
    message = fields.String(required=True)
