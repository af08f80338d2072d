"""marshmallow schemas for ``/cases`` (see ``app.api.schemas`` for the
conventions: request schemas refuse unknown fields; every nullable response
field says so)."""

from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate

from app.api.schemas import PageQuerySchema, PageSchema, RequestSchema
from app.cases.children import ChildsRights
from app.cases.clock_changes import PAUSE_REASONS
from app.cases.models import (
    CaseStatus,
    EvidenceKind,
    IdentityMethod,
    RefusalReason,
    Relationship,
    RequestType,
    SubjectRole,
)
from app.cases.services import MAX_TEXT, WITHDRAWAL_CHANNELS

# Text must hold something besides whitespace; the same rule is given to
# clients as the OpenAPI pattern (a search, so one non-space character).
NOT_BLANK_PATTERN = r"\S"
# Dates this century only (the clock adds months and days; far-off years
# are typing mistakes). Told to clients as a pattern on the year.
_DATES = validate.Range(
    min=date(2000, 1, 1), max=date(2099, 12, 31), error="Give a date between {min} and {max}."
)
DATE_PATTERN = r"^20[0-9]{2}-"


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("This cannot be empty.")


def _text(description: str, *, required: bool = True) -> fields.String:
    return fields.String(
        required=required,
        validate=[validate.Length(min=1, max=MAX_TEXT), _not_blank],
        metadata={"pattern": NOT_BLANK_PATTERN, "description": description},
    )


def _day(description: str) -> fields.Date:
    return fields.Date(validate=_DATES, metadata={"description": description, "pattern": DATE_PATTERN})


# --- requests ------------------------------------------------------------------


class CaseListQuerySchema(PageQuerySchema):
    status = fields.Enum(CaseStatus, by_value=True, metadata={"description": "Only cases in this status."})
    answered = fields.Boolean(
        metadata={
            "description": "false: only requests still to be answered (soonest due first); true: only "
            "those answered or ended (responded, refused, withdrawn or closed; the newest received "
            "first). Omitted: all of them, soonest due first."
        }
    )


class IdentityDecisionSchema(RequestSchema):
    decision = fields.String(required=True, validate=validate.OneOf(["accept", "refuse"]))
    method = fields.Enum(
        IdentityMethod, by_value=True, metadata={"description": "How identity was confirmed (to accept)."}
    )
    # Checked with the method and the evidence by the identity decision
    # itself (app.cases.identity), so a missing reason and a missing method
    # are answered together, in one 422.
    reason = fields.String(
        validate=validate.Length(max=MAX_TEXT),
        metadata={
            "pattern": NOT_BLANK_PATTERN,
            "description": "Required: what was seen or why the school knows the person; or why identity "
            "is not proven.",
        },
    )
    identity_received_on = _day(
        "documents_seen only: the day the proof of identity you asked the requester for arrived (by "
        "post or in person); the clock starts then. Omitted: the day of the first upload after you "
        "asked, if any; otherwise the clock runs from the day the request arrived (never the day of "
        "the decision). Refused with known_to_school or matched_school_records."
    )
    authority_evidence = _text("For someone acting for another: the authority seen.", required=False)
    authority_received_on = _day(
        "For someone acting for another: the day the proof of authority you asked for arrived (by post "
        "or in person); the clock starts then. Omitted: the day of the first upload after you asked, if "
        "any; otherwise (authority shown by the school's own records) the clock runs from the day the "
        "request arrived, never the day of the decision."
    )


class PauseSchema(RequestSchema):
    reason = fields.String(required=True, validate=validate.OneOf(PAUSE_REASONS))
    question = _text("The question sent to the requester.")
    asked_on = _day(
        "The day the question was sent (today if omitted); not before the clock's start (clock.start)."
    )


class ResumeSchema(RequestSchema):
    answered_on = _day("The day the answer arrived (today if omitted).")


class AssignSchema(RequestSchema):
    assignee_id = fields.UUID(
        required=True,
        allow_none=True,
        metadata={"description": "An active admin or caseworker; null to unassign."},
    )


class ExtendSchema(RequestSchema):
    reason = _text("Why more time is needed (sent to the requester).")
    notice_on = _day(
        "The day the requester is told: the notice is emailed now, so only today's date is accepted "
        "(omit it for today). An extension is refused once the original due date has passed."
    )


class RefuseSchema(RequestSchema):
    reason = fields.Enum(RefusalReason, by_value=True, required=True)
    detail = _text("The controller's explanation, sent to the requester.")


class WithdrawSchema(RequestSchema):
    asked_by = fields.String(
        required=True,
        validate=validate.OneOf(list(WITHDRAWAL_CHANNELS)),
        metadata={"description": "How the requester asked to withdraw (kept on the timeline)."},
    )


# --- responses -----------------------------------------------------------------

_REDUCED = "Null once the case's record has been reduced (see record_reduced_at)."


class ChildsRightsSchema(Schema):
    rule = fields.Enum(
        ChildsRights,
        by_value=True,
        required=True,
        metadata={
            "description": "may_decide: 12 to 17, may be mature enough to exercise their own rights; "
            "presumed_competent: 12 to 17 at a school in Scotland, presumed so (DPA 2018 s.208); "
            "adult: 18 or over, a parent needs their written authority."
        },
    )
    age = fields.Integer(required=True, metadata={"description": "Age on the day the request was received."})
    received_on = fields.Date(required=True)


class CaseClockSchema(Schema):
    received_on = fields.Date(required=True)
    start = fields.Date(
        required=True, metadata={"description": "Latest of received, identity, authority, fee."}
    )
    due = fields.Date(required=True, allow_none=True, metadata={"description": "Null while paused."})
    original_due = fields.Date(
        required=True, allow_none=True, metadata={"description": "Before any extension."}
    )
    paused_days = fields.Integer(required=True)
    paused_now = fields.Boolean(required=True)
    extended_on = fields.Date(required=True, allow_none=True)
    extension_notice_sent_on = fields.Date(required=True, allow_none=True)
    internal_target = fields.Date(required=True, allow_none=True)
    working_days_left = fields.Integer(required=True, allow_none=True)
    calendar_days_left = fields.Integer(required=True, allow_none=True)


class CaseSummarySchema(Schema):
    id = fields.UUID(required=True)
    reference = fields.String(required=True)
    organisation_id = fields.UUID(required=True)
    request_type = fields.Enum(RequestType, by_value=True, required=True)
    status = fields.Enum(CaseStatus, by_value=True, required=True)
    received_on = fields.Date(required=True)
    due_on = fields.Date(required=True, allow_none=True, metadata={"description": "Statutory due date."})
    duplicate_of_id = fields.UUID(required=True, allow_none=True)
    assignee_id = fields.UUID(required=True, allow_none=True)


class CasePageSchema(PageSchema):
    items = fields.List(fields.Nested(CaseSummarySchema), required=True)


class CasePauseSchema(Schema):
    asked_on = fields.Date(required=True)
    answered_on = fields.Date(required=True, allow_none=True)
    reason = fields.String(required=True)
    question = fields.String(required=True, allow_none=True, metadata={"description": _REDUCED})
    answer = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The requester's words, when sent on the status page."},
    )


class CaseEvidenceSchema(Schema):
    id = fields.UUID(required=True)
    kind = fields.Enum(EvidenceKind, by_value=True, required=True)
    filename = fields.String(required=True, metadata={"description": "As uploaded (last path part only)."})
    content_type = fields.String(
        required=True, metadata={"description": "Found in the content, not declared."}
    )
    size = fields.Integer(required=True, metadata={"description": "Bytes."})
    received_on = fields.Date(required=True, metadata={"description": "A clock input."})
    destroyed_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={
            "description": "When the file was crypto-shredded, some weeks after the case finished "
            "(its name is then 'destroyed' and it can no longer be downloaded)."
        },
    )


class CaseEventSchema(Schema):
    at = fields.DateTime(required=True)
    kind = fields.String(required=True)
    actor_id = fields.UUID(required=True, allow_none=True)
    data = fields.Dict(required=True)


class CaseSchema(CaseSummarySchema):
    resume_status = fields.Enum(CaseStatus, by_value=True, required=True, allow_none=True)
    requester_name = fields.String(required=True, allow_none=True, metadata={"description": _REDUCED})
    requester_email = fields.String(required=True, allow_none=True, metadata={"description": _REDUCED})
    requester_phone = fields.String(required=True, allow_none=True)
    requester_relationship = fields.Enum(Relationship, by_value=True, required=True)
    subject_name = fields.String(required=True, allow_none=True, metadata={"description": _REDUCED})
    subject_dob = fields.String(
        required=True, allow_none=True, metadata={"description": "ISO date. " + _REDUCED}
    )
    subject_role = fields.Enum(SubjectRole, by_value=True, required=True)
    subject_upn = fields.String(required=True, allow_none=True)
    subject_staff_number = fields.String(required=True, allow_none=True)
    description = fields.String(required=True, allow_none=True, metadata={"description": _REDUCED})
    destination_name = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "A portability request: the organisation the requester asked for the data to "
            "be sent to (null when they named none: the data goes to them). " + _REDUCED
        },
    )
    destination_email = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "That organisation's email address, as the requester gave it. " + _REDUCED},
    )
    identity_method = fields.Enum(IdentityMethod, by_value=True, required=True, allow_none=True)
    refusal_reason = fields.Enum(RefusalReason, by_value=True, required=True, allow_none=True)
    extension_reason = fields.String(required=True, allow_none=True)
    closes_on = fields.Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "For an answered (responded or refused) case: the day the daily task "
            "closes it if nobody has (RIGHTSDESK_AUTO_CLOSE_DAYS after the answer), unless an email "
            "about it is undelivered. Null for any other status."
        },
    )
    childs_rights = fields.Nested(
        "ChildsRightsSchema",
        required=True,
        allow_none=True,
        metadata={
            "description": "A parent or carer asking about a pupil who was 12 or over on the day the "
            "request was received: the rights are the child's own, to be considered before anything is "
            "disclosed and recorded in the identity decision. Null otherwise."
        },
    )
    copies_destroyed_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={
            "description": "When the copies the case made (collected items, candidate summaries, "
            "evidence files, packs) were destroyed, some weeks after it was closed or withdrawn."
        },
    )
    record_reduced_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={
            "description": "When the record was reduced to what accountability needs, years after "
            "the case was closed (names, contact details, dates of birth, free text and letter "
            "files removed; dates, statuses, the clock and the timeline kept)."
        },
    )
    clock = fields.Nested(CaseClockSchema, required=True)
    pauses = fields.List(fields.Nested(CasePauseSchema), required=True)
    evidence = fields.List(fields.Nested(CaseEvidenceSchema), required=True)
    events = fields.List(fields.Nested(CaseEventSchema), required=True)
