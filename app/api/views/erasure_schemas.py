"""marshmallow schemas for an erasure case's plan (``/cases/<reference>/erasure``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import RequestSchema
from app.erasure.models import PlanStatus, StepAction, StepState
from app.erasure.plan import SCOPE_REASONS

_KEEP = "The ground to keep the category on, or null to erase it as planned. " + "; ".join(
    f"{code}: {sentence}" for code, sentence in SCOPE_REASONS.items()
)


class ErasureStepSchema(Schema):
    id = fields.UUID(required=True)
    position = fields.Integer(required=True)
    source = fields.String(required=True, metadata={"description": "The store, e.g. pupils."})
    category = fields.String(required=True, metadata={"description": "The category, e.g. attendance."})
    label = fields.String(required=True)
    action = fields.Enum(StepAction, by_value=True, required=True)
    organisation_ids = fields.List(fields.UUID(), required=True)
    record_count = fields.Integer(required=True, metadata={"description": "Records the step covers."})
    reason_code = fields.String(
        required=True, allow_none=True, metadata={"description": "Why it is kept or only anonymised."}
    )
    reason = fields.String(required=True, allow_none=True)
    hold_id = fields.UUID(
        required=True, allow_none=True, metadata={"description": "The legal hold keeping it."}
    )
    state = fields.Enum(StepState, by_value=True, required=True)
    affected_count = fields.Integer(required=True, allow_none=True, metadata={"description": "Rows changed."})
    executed_at = fields.DateTime(required=True, allow_none=True)


class KeptCategorySchema(Schema):
    source = fields.String(required=True)
    category = fields.String(required=True)
    keep = fields.String(required=True, metadata={"description": "The ground it is kept on."})


class KeepCategorySchema(RequestSchema):
    source = fields.String(required=True, validate=validate.Length(min=1, max=40))
    category = fields.String(required=True, validate=validate.Length(min=1, max=40))
    keep = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(list(SCOPE_REASONS)),
        metadata={"description": _KEEP},
    )


class ErasurePlanSchema(Schema):
    id = fields.UUID(required=True)
    status = fields.Enum(PlanStatus, by_value=True, required=True)
    as_of = fields.Date(required=True)
    built_at = fields.DateTime(required=True)
    built_by_id = fields.UUID(required=True, allow_none=True)
    approved_at = fields.DateTime(required=True, allow_none=True)
    approved_by_id = fields.UUID(required=True, allow_none=True)
    started_at = fields.DateTime(required=True, allow_none=True)
    completed_at = fields.DateTime(required=True, allow_none=True)
    erased_on = fields.Date(required=True, allow_none=True)
    backups_expire_on = fields.Date(
        required=True, allow_none=True, metadata={"description": "When backups holding the data age out."}
    )
    certificate_ready = fields.Boolean(
        required=True, metadata={"description": "Whether the certificate can be downloaded now."}
    )
    certificate_destroyed_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the certificate's file was destroyed with the reduced case record."},
    )
    kept_categories = fields.List(
        fields.Nested(KeptCategorySchema),
        required=True,
        metadata={"description": "Categories the DPO kept out of the erasure, with the ground."},
    )
    steps = fields.List(fields.Nested(ErasureStepSchema), required=True)
