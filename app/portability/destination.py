"""Where a data portability requester wants their data sent (UK GDPR Art 20(2)).

The request form and the API may name an organisation and its email
address. Both are optional: left empty, the data goes to the requester, to
pass on. The rules, shared by the form's schema (``app.intake.schemas``)
and the case service (``app.cases.services.submit``), so both doors and the
service refuse the same things with the same words:

- only a portability request may name one. A destination typed on another
  request is refused, not dropped: someone who typed it believes the data
  will go there, and silently ignoring it would leave them thinking so;
- the name and the address come together: a name alone cannot be sent to,
  and an address alone does not tell the requester (who gets the code to
  pass on) or the staff (who check it) whose address it is.

The format of the address is checked by each caller as it checks the
requester's own address.
"""

from __future__ import annotations

from app.cases.models import RequestType

NAME = "destination_name"
EMAIL = "destination_email"
NAME_MAX = 200

MESSAGES = {
    NAME: "Enter the name of the organisation to send the data to",
    EMAIL: "Enter the email address of the organisation to send the data to",
    f"{NAME}_type": (
        "Only enter an organisation to send the data to if you are asking for a copy to take elsewhere"
    ),
    f"{EMAIL}_type": (
        "Only enter the organisation's email address if you are asking for a copy to take elsewhere"
    ),
    f"{EMAIL}_format": "Enter the organisation's email address in the correct format, like name@example.com",
    f"{NAME}_long": f"The organisation's name must be {NAME_MAX} characters or less",
}


def destination_problems(request_type: str | None, name: str | None, email: str | None) -> dict[str, str]:
    """The message for each destination field at fault, by field name; empty
    when the pair is acceptable. ``name`` and ``email`` are as typed, already
    stripped (None or empty for not given); ``request_type`` None when it is
    not known (not chosen yet), so only the pairing is checked."""
    if not name and not email:
        return {}
    if request_type is not None and request_type != RequestType.PORTABILITY.value:
        given = ((NAME, name), (EMAIL, email))
        return {field: MESSAGES[f"{field}_type"] for field, value in given if value}
    if not email:
        return {EMAIL: MESSAGES[EMAIL]}
    if not name:
        return {NAME: MESSAGES[NAME]}
    return {}
