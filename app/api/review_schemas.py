"""marshmallow schemas for reviewing a case's items (``/cases/<reference>/
review``, ``/disclosure-schedule``, ``/approve``).

Request schemas state every rule a JSON Schema can (patterns, lengths,
enums); the rules that depend on one another or on the item (an exemption
to withhold or redact, spans that fit the item's text) are the service's and
answer 422 with field messages too.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import JsonBoolean, JsonInteger, RequestSchema
from app.portability.scope import Reason
from app.review.exemptions import Exemption
from app.review.listing import DECIDED, STALE, UNDECIDED
from app.review.models import Action
from app.review.services import BULK_ACTIONS, MAX_BULK_ITEMS, NOTE_MAX_LENGTH, PHRASE_MAX_LENGTH
from app.review.suggestions import CONTACT, PUPIL, STAFF

ITEM_KEY_PATTERN = r"^[A-Za-z0-9_.:/+-]{1,200}$"
FIELD_PATTERN = r"^[A-Za-z0-9_]{1,100}$"
# Tabs and line breaks are text; other control characters are refused.
NOTE_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$"
MAX_SPANS = 500
MAX_PHRASES = 50
_STATES = [UNDECIDED, STALE, DECIDED]
_EXEMPTIONS = [code.value for code in Exemption]


def _item_key(description: str) -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Regexp(ITEM_KEY_PATTERN, error="Give an item key as the review lists it."),
        metadata={"pattern": ITEM_KEY_PATTERN, "description": description},
    )


def _exemption() -> fields.String:
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(_EXEMPTIONS),
        metadata={"description": "Needed to withhold or redact; ignored when disclosing."},
    )


def _note() -> fields.String:
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(max=NOTE_MAX_LENGTH),
            validate.Regexp(NOTE_PATTERN, error="Control characters are not allowed."),
        ],
        metadata={
            "pattern": NOTE_PATTERN,
            "description": "Why: for the internal disclosure schedule, never shown to the requester.",
        },
    )


# --- requests ------------------------------------------------------------------


class SpanSchema(RequestSchema):
    field = fields.String(
        required=True,
        validate=validate.Regexp(FIELD_PATTERN, error="Give the name of one of the item's text fields."),
        metadata={"pattern": FIELD_PATTERN, "description": "A top-level text field of the item's data."},
    )
    start = JsonInteger(required=True, validate=validate.Range(min=0, max=10_000_000))
    end = JsonInteger(
        required=True,
        validate=validate.Range(min=1, max=10_000_000),
        metadata={"description": "Exclusive: the span is characters start to end - 1."},
    )


class DecisionCreateSchema(RequestSchema):
    item_key = _item_key("The item to decide, as the review lists it.")
    action = fields.String(required=True, validate=validate.OneOf([action.value for action in Action]))
    exemption = _exemption()
    redactions = fields.List(
        fields.Nested(SpanSchema),
        load_default=list,
        validate=validate.Length(max=MAX_SPANS),
        metadata={"description": "To redact: character spans of the item's text fields (e.g. suggestions)."},
    )
    phrases = fields.List(
        fields.String(validate=validate.Length(min=1, max=PHRASE_MAX_LENGTH)),
        load_default=list,
        validate=validate.Length(max=MAX_PHRASES),
        metadata={"description": "To redact: words to find (whole words, any case) in the text fields."},
    )
    note = _note()


class SuggestionsAcceptSchema(RequestSchema):
    item_key = _item_key("The item whose suggested names to redact as third-party data.")
    note = _note()


class BulkDecisionSchema(RequestSchema):
    action = fields.String(
        required=True,
        validate=validate.OneOf(sorted(action.value for action in BULK_ACTIONS)),
        metadata={"description": "Redacting is decided item by item."},
    )
    exemption = _exemption()
    note = _note()
    item_keys = fields.List(
        fields.String(validate=validate.Regexp(ITEM_KEY_PATTERN), metadata={"pattern": ITEM_KEY_PATTERN}),
        load_default=list,
        validate=validate.Length(max=MAX_BULK_ITEMS),
        metadata={"description": "The items to decide; or set undecided."},
    )
    undecided = JsonBoolean(
        load_default=False,
        metadata={"description": "Decide every item with no decision yet (stale decisions are left alone)."},
    )


# --- responses -----------------------------------------------------------------


class SpanOutSchema(Schema):
    field = fields.String(required=True)
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)


class SuggestionSchema(SpanOutSchema):
    name_kind = fields.String(
        required=True,
        validate=validate.OneOf([PUPIL, STAFF, CONTACT]),
        metadata={"description": "Whose name it looks like: another pupil, a member of staff, a contact."},
    )


class DecisionSchema(Schema):
    action = fields.Enum(Action, by_value=True, required=True)
    exemption = fields.Enum(Exemption, by_value=True, required=True, allow_none=True)
    exemption_title = fields.String(required=True, allow_none=True)
    exemption_citation = fields.String(required=True, allow_none=True)
    redactions = fields.List(fields.Nested(SpanOutSchema), required=True)
    note = fields.String(required=True, allow_none=True)
    decided_by_id = fields.UUID(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True)


class ProgressSchema(Schema):
    total = fields.Integer(required=True)
    decided = fields.Integer(required=True, metadata={"description": "Items with a current decision."})
    undecided = fields.Integer(required=True)
    stale = fields.Integer(required=True, metadata={"description": "Decided, then changed by a re-gather."})
    complete = fields.Boolean(required=True, metadata={"description": "Every item has a current decision."})


class ReviewItemSchema(Schema):
    key = fields.String(required=True)
    id = fields.UUID(required=True)
    title = fields.String(required=True)
    occurred_on = fields.Date(required=True, allow_none=True)
    data = fields.Dict(required=True)
    state = fields.String(required=True, validate=validate.OneOf(_STATES))
    decision = fields.Nested(DecisionSchema, required=True, allow_none=True)
    suggestions = fields.List(
        fields.Nested(SuggestionSchema),
        required=True,
        metadata={"description": "Spans that look like other known people's names: candidates to redact."},
    )


class ReviewGroupSchema(Schema):
    source = fields.String(required=True)
    source_title = fields.String(required=True)
    category = fields.String(required=True)
    items = fields.List(fields.Nested(ReviewItemSchema), required=True)


class NotPortableSchema(Schema):
    source = fields.String(required=True)
    category = fields.String(required=True)
    title = fields.String(required=True)
    reason = fields.String(
        required=True,
        validate=validate.OneOf([reason.value for reason in Reason]),
        metadata={"description": "Why the right to data portability does not cover these items."},
    )
    explanation = fields.String(required=True)
    basis = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The register's basis, when it is the reason."},
    )
    count = fields.Integer(required=True)


class ReviewSchema(Schema):
    case_status = fields.String(required=True)
    can_decide = fields.Boolean(required=True, metadata={"description": "The case is in review."})
    can_approve = fields.Boolean(required=True)
    progress = fields.Nested(ProgressSchema, required=True)
    groups = fields.List(fields.Nested(ReviewGroupSchema), required=True)
    not_portable = fields.List(
        fields.Nested(NotPortableSchema),
        required=True,
        metadata={
            "description": "A portability request's items outside that right (Art 20(1)), by category and "
            "reason: not reviewed and not sent. Empty for every other kind of request."
        },
    )


class DecisionResultSchema(Schema):
    item_key = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(_STATES))
    decision = fields.Nested(DecisionSchema, required=True)
    progress = fields.Nested(ProgressSchema, required=True)


class BulkResultSchema(Schema):
    decided = fields.Integer(required=True, metadata={"description": "How many decisions were made."})
    progress = fields.Nested(ProgressSchema, required=True)


class ScheduleLineSchema(Schema):
    item_key = fields.String(required=True)
    source = fields.String(required=True)
    source_title = fields.String(required=True)
    category = fields.String(required=True)
    title = fields.String(
        required=True, allow_none=True, metadata={"description": "Left out (null) for a withheld item."}
    )
    occurred_on = fields.Date(required=True, allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(_STATES))
    action = fields.Enum(Action, by_value=True, required=True, allow_none=True)
    exemption = fields.Enum(Exemption, by_value=True, required=True, allow_none=True)
    exemption_title = fields.String(required=True, allow_none=True)
    exemption_citation = fields.String(required=True, allow_none=True)
    redacted_parts = fields.Integer(required=True)
    note = fields.String(required=True, allow_none=True, metadata={"description": "Internal only."})
    decided_by_id = fields.UUID(required=True, allow_none=True)
    decided_by = fields.String(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True, allow_none=True)


class ScheduleSchema(Schema):
    progress = fields.Nested(ProgressSchema, required=True)
    rows = fields.List(fields.Nested(ScheduleLineSchema), required=True)


class ApprovalSchema(Schema):
    reference = fields.String(required=True)
    status = fields.String(required=True)
    progress = fields.Nested(ProgressSchema, required=True)
