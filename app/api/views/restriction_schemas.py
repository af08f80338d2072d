"""marshmallow schemas for restriction, objections and recipients."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import JsonBoolean, RequestSchema, written_text
from app.recipients.models import Change, NoticeChannel, NoticeStatus, RecipientKind
from app.register.models import LawfulBasis
from app.restriction.lifting import LIFT_NOTICE_DAYS
from app.restriction.models import ObjectionDecision
from app.restriction.services import MAX_REASON
from app.sources.consent.services import PURPOSE_PATTERN
from app.sources.protocol import PersonKind


class ReasonSchema(RequestSchema):
    reason = written_text(max_length=MAX_REASON, required=True)


class LiftSchema(RequestSchema):
    reason = written_text(
        max_length=MAX_REASON,
        required=True,
        metadata={"description": "Why it is lifted: the requester is told this now."},
    )
    lift_on = fields.Date(
        required=True,
        metadata={
            "description": (
                f"The day the lift takes effect: after today and within a year "
                f"(a usual notice is {LIFT_NOTICE_DAYS} days)."
            )
        },
    )


class RestrictionRowSchema(Schema):
    id = fields.UUID(required=True)
    person_kind = fields.Enum(PersonKind, by_value=True, required=True)
    person_id = fields.UUID(required=True)
    reason = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Null once the case's record has been reduced, years after closing."},
    )
    started_at = fields.DateTime(required=True)
    started_by_id = fields.UUID(allow_none=True)
    lifted_at = fields.DateTime(allow_none=True)
    lifted_reason = fields.String(allow_none=True)
    lifted_by_id = fields.UUID(allow_none=True)
    lift_on = fields.Date(allow_none=True, metadata={"description": "The day a scheduled lift takes effect."})
    lift_notified_at = fields.DateTime(
        allow_none=True, metadata={"description": "When the requester was told of the scheduled lift."}
    )
    lift_reason = fields.String(allow_none=True)
    lift_scheduled_by_id = fields.UUID(allow_none=True)
    active = fields.Boolean(required=True)


class RecordStateSchema(Schema):
    person_kind = fields.Enum(PersonKind, by_value=True, required=True)
    person_id = fields.UUID(required=True)
    restricted = fields.Boolean(required=True)


class ObjectionSchema(Schema):
    id = fields.UUID(required=True)
    register_entry_id = fields.UUID(allow_none=True)
    purpose = fields.String(required=True)
    consent_purpose = fields.String(allow_none=True)
    direct_marketing = fields.Boolean(required=True)
    decision = fields.Enum(ObjectionDecision, by_value=True, required=True)
    grounds = fields.String(allow_none=True)
    decided_by_id = fields.UUID(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    basis = fields.Enum(
        LawfulBasis,
        by_value=True,
        required=True,
        allow_none=True,
        metadata={
            "description": "The Art 6(1) basis of the register entry objected to at the case's organisation: "
            "the one its decision rested on once decided, the current one while pending; null without a "
            "register entry."
        },
    )
    basis_label = fields.String(
        required=True, allow_none=True, metadata={"description": "The basis, worded."}
    )
    outside_article_21 = fields.Boolean(
        required=True,
        metadata={
            "description": "The basis of the register entry objected to (the one decided on, once "
            "decided) is neither a public task, legitimate interests nor consent, so the right to object in "
            "Art 21(1) does not reach it: a pending objection can be decided as no_right (or upheld), not "
            "rejected. True also for an objection upheld on such a basis. False for direct marketing, for "
            "an objection naming a consent and without a register entry."
        },
    )


# Worked out by the view, not read from the objection as stored.
OBJECTION_COMPUTED = ("basis", "basis_label", "outside_article_21")


class RestrictionStateSchema(Schema):
    records = fields.List(fields.Nested(RecordStateSchema), required=True)
    lift_on = fields.Date(
        required=True, allow_none=True, metadata={"description": "The day the scheduled lift takes effect."}
    )
    lift_notified_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "When the requester was told of it."}
    )
    restrictions = fields.List(fields.Nested(RestrictionRowSchema), required=True)
    objections = fields.List(fields.Nested(ObjectionSchema), required=True)


class ObjectionCreateSchema(RequestSchema):
    purpose = written_text(max_length=300, required_text=False, allow_none=True)
    register_entry_id = fields.UUID(allow_none=True)
    consent_purpose = fields.String(
        allow_none=True,
        validate=validate.Regexp(PURPOSE_PATTERN, error="Use a code such as photos_website."),
        metadata={
            "pattern": PURPOSE_PATTERN,
            "description": "A consent ledger purpose: upholding withdraws it.",
        },
    )
    direct_marketing = JsonBoolean(load_default=False)


class ObjectionDecisionSchema(RequestSchema):
    objection_id = fields.UUID(required=True)
    decision = fields.String(
        required=True,
        validate=validate.OneOf(["upheld", "rejected", "no_right"]),
        metadata={
            "description": "no_right: the right to object does not reach the processing, as the register "
            "entry objected to is used on neither a public task, legitimate interests nor consent at the "
            "case's organisation (Art 21(1)); refused otherwise, for direct marketing and for an objection "
            "naming a consent. rejected is refused for processing on consent: it is upheld."
        },
    )
    grounds = written_text(
        max_length=MAX_REASON,
        required_text=False,
        allow_none=True,
        metadata={"description": "Required to reject: the compelling legitimate grounds. None for no_right."},
    )
    not_direct_marketing = JsonBoolean(
        load_default=False,
        metadata={
            "description": "For no_right, required true: the decider confirms the processing is not direct "
            "marketing, which can always be objected to (Art 21(2)); the objection's own direct_marketing "
            "flag is false unless it was set. Ignored for upheld and rejected."
        },
    )


class RecipientSchema(Schema):
    kind = fields.String(required=True)
    name = fields.String(required=True)
    changes = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "The changes this recipient was sent, or is to be given, a notice of; none for a "
            "kind of recipient the register names (no disclosure to one is recorded)."
        },
    )


class NoticeSchema(Schema):
    id = fields.UUID(required=True)
    change = fields.Enum(Change, by_value=True, required=True)
    recipient_kind = fields.Enum(RecipientKind, by_value=True, required=True)
    recipient_name = fields.String(required=True)
    channel = fields.Enum(
        NoticeChannel,
        by_value=True,
        required=True,
        metadata={
            "description": "email: sent to the recipient's registered contact; school: the school is to tell "
            "it; none: nobody to tell (status no_record)."
        },
    )
    email = fields.String(allow_none=True)
    status = fields.Enum(
        NoticeStatus,
        by_value=True,
        required=True,
        metadata={
            "description": "sent; pending: the school is still to tell the recipient; no_record: closed, the "
            "register names a kind of recipient (e.g. 'Others only where the law requires it') and no "
            "disclosure to one is recorded, so there is nobody to tell."
        },
    )
    sent_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)


class RecipientsSchema(Schema):
    recipients = fields.List(fields.Nested(RecipientSchema), required=True)
    notices = fields.List(fields.Nested(NoticeSchema), required=True)
