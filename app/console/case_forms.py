"""Forms for the actions on a case page. Shape only; the rules (which move
is allowed, which dates make sense) live in ``app.cases.services``. Each form
has a prefix so that several can share a page with unique field ids."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from app.cases.models import IdentityMethod, RefusalReason
from app.cases.services import MAX_TEXT, WITHDRAWAL_CHANNELS

_DATE_MESSAGE = "Enter a real date, for example 2026-03-27"


def _reason(label: str, message: str) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            DataRequired(message),
            Length(max=MAX_TEXT, message=f"Use at most {MAX_TEXT} characters"),
        ],
    )


def _date(label: str) -> DateField:
    return DateField(label, validators=[Optional()], invalid_value_message=_DATE_MESSAGE)


class IdentityForm(FlaskForm):
    # AnyOf rather than the select's own check, whose message ("Not a valid
    # choice.") does not say what to do.
    decision = SelectField(
        "Decision",
        choices=[
            SelectChoice("accept", "Identity confirmed"),
            SelectChoice("refuse", "Identity not proven: refuse"),
        ],
        validate_choice=False,
        validators=[AnyOf(["accept", "refuse"], "Choose whether identity is confirmed or not proven")],
    )
    method = SelectField(
        "How was identity confirmed?",
        choices=[
            SelectChoice("", "Not confirmed"),
            SelectChoice(IdentityMethod.DOCUMENTS_SEEN.value, "Documents seen"),
            SelectChoice(IdentityMethod.KNOWN_TO_SCHOOL.value, "Known to the school"),
            SelectChoice(IdentityMethod.MATCHED_SCHOOL_RECORDS.value, "Matched against school records"),
        ],
        validate_choice=False,
        validators=[AnyOf(["", *(m.value for m in IdentityMethod)], "Choose how identity was confirmed")],
    )
    # Whether a reason and a method are needed depends on the decision, so
    # the identity decision checks them (app.cases.identity), with the
    # authority and the dates, and gives every problem at once.
    reason = TextAreaField(
        "Reason", validators=[Length(max=MAX_TEXT, message=f"Use at most {MAX_TEXT} characters")]
    )
    # The days the evidence staff asked for arrived by post or in person:
    # the clock starts on the later of them (uploads date themselves). Not
    # the day of the decision: with neither, it runs from the request's day.
    identity_received_on = _date("Day the proof of identity you asked for arrived (optional)")
    authority_evidence = TextAreaField(
        "Authority to act for the person (when someone else is asking)", validators=[Length(max=MAX_TEXT)]
    )
    authority_received_on = _date("Day the proof of authority you asked for arrived (optional)")


class PauseForm(FlaskForm):
    reason = SelectField(
        "Why ask",
        choices=[
            SelectChoice("clarify_scope", "Which information they want"),
            SelectChoice("clarify_dates", "Which dates"),
            SelectChoice("clarify_systems", "Which systems or records"),
            SelectChoice("other", "Something else"),
        ],
    )
    question = _reason("Question for the requester", "Enter the question to send")
    asked_on = _date("Day the question was sent (optional, today if empty)")


class ResumeForm(FlaskForm):
    answered_on = _date("Day the answer arrived (optional, today if empty)")


class ExtendForm(FlaskForm):
    # No notice date: the notice is the letter emailed when this is sent.
    reason = _reason("Why more time is needed", "Enter the reason to send to the requester")


class RefuseForm(FlaskForm):
    reason = SelectField(
        "Reason",
        choices=[
            SelectChoice(RefusalReason.MANIFESTLY_UNFOUNDED.value, "Manifestly unfounded"),
            SelectChoice(RefusalReason.MANIFESTLY_EXCESSIVE.value, "Manifestly excessive"),
            SelectChoice(RefusalReason.IDENTITY_NOT_PROVEN.value, "Identity not proven"),
            SelectChoice(
                RefusalReason.EXCEPTION_APPLIES.value,
                "An exception or exemption applies (Art 17(3) for erasure; DPA 2018 Schedules 2-4)",
            ),
        ],
    )
    detail = _reason("Explanation for the requester", "Enter the explanation to send")


class WithdrawForm(FlaskForm):
    # One click must not end a request: staff say how the requester asked.
    asked = SelectField(
        "How did the requester ask to withdraw the request?",
        choices=[
            SelectChoice("", "Choose how they asked"),
            *(SelectChoice(code, label) for code, label in WITHDRAWAL_CHANNELS.items()),
        ],
        validators=[AnyOf(list(WITHDRAWAL_CHANNELS), "Say how the requester asked to withdraw the request")],
        validate_choice=False,
    )


class CloseForm(FlaskForm):
    """No fields: the CSRF token alone."""


class RequestIdentityForm(FlaskForm):
    """No fields: the CSRF token alone."""


class AssignForm(FlaskForm):
    # The choices (the company's active staff) are read when the page is
    # drawn; the service checks the id, so a stale page cannot assign wrongly.
    assignee_id = StringField("Assigned to")


FORMS: dict[str, type[FlaskForm]] = {
    "identity": IdentityForm,
    "pause": PauseForm,
    "resume": ResumeForm,
    "extend": ExtendForm,
    "refuse": RefuseForm,
    "withdraw": WithdrawForm,
    "close": CloseForm,
    "request_identity": RequestIdentityForm,
    "assign": AssignForm,
}


def empty_forms() -> dict[str, FlaskForm]:
    return {name: form(formdata=None, prefix=name) for name, form in FORMS.items()}
