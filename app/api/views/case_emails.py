"""``/cases/<reference>/emails``: the emails about a case and whether each
was delivered; one that failed can be sent again."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import Schema, fields

from app.api.auth import current_user
from app.api.errors import ApiError
from app.api.routing import operation
from app.api.views import bp
from app.api.views.cases import case_in_scope
from app.extensions import db
from app.mail import services as mail
from app.mail.models import OutboxMessage, OutboxStatus


class EmailSchema(Schema):
    id = fields.UUID(required=True)
    category = fields.String(required=True, metadata={"description": "A code, e.g. case.acknowledgement."})
    label = fields.String(required=True, metadata={"description": "What the email is, in words."})
    recipients = fields.List(fields.String(), required=True)
    waiting_recipients = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "The recipients the mail server has not accepted the email for yet: all of "
            "them until it accepts it for some, none once sent. When a server accepted it for some "
            "recipients and refused others, the refused ones: sending it again goes only to them."
        },
    )
    status = fields.Enum(
        OutboxStatus,
        by_value=True,
        required=True,
        metadata={
            "description": "sent; pending (waiting for delivery); failed (send it again once the cause "
            "is fixed); outbox (no mail server configured: kept, never sent)."
        },
    )
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(required=True, allow_none=True)
    attempts = fields.Integer(required=True)
    last_error = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The server's answer, addresses masked; or why delivery was given up "
            "(e.g. delivery abandoned after 5 attempts: the worker stopped each time)."
        },
    )


class EmailListSchema(Schema):
    items = fields.List(fields.Nested(EmailSchema), required=True)


def _email(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "category": message.category,
        "label": mail.category_label(message.category),
        "recipients": message.recipient_list,
        "waiting_recipients": message.waiting_recipients,
        "status": message.status,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "attempts": message.attempts,
        "last_error": message.last_error,
    }


@operation(bp, "/cases/<reference>/emails", "GET", summary="Emails about the case", tag="cases",
           response=EmailListSchema)  # fmt: skip
def list_case_emails_view(reference: str) -> dict[str, Any]:
    """Every email about the case still held, oldest first, with its delivery
    state. A delivered one is deleted some time after delivery (90 days
    unless RIGHTSDESK_SENT_MAIL_RETENTION_DAYS says otherwise), and all of
    them when the case's record is reduced."""
    case = case_in_scope(reference)
    return {"items": [_email(message) for message in mail.case_messages(case.id)]}


@operation(bp, "/cases/<reference>/emails/<uuid:message_id>/send-again", "POST",
           summary="Send a failed email again", tag="cases", response=EmailSchema, status=202,
           errors=(409,))  # fmt: skip
def send_case_email_again_view(reference: str, message_id: uuid.UUID) -> dict[str, Any]:
    """Queues delivery again for an email that failed, whatever its attempts
    so far. 409 when it is not failed or no mail server is configured; 404
    for a message that is not about this case. Audited."""
    case = case_in_scope(reference)
    try:
        message = mail.send_again(case.id, message_id, current_user().id)
    except LookupError:
        db.session.rollback()
        raise ApiError(404) from None
    except mail.NotSendable as refused:
        db.session.rollback()
        raise ApiError(409, "not_sendable", str(refused)) from None
    shown = _email(message)
    db.session.commit()
    return shown
