"""Reading a case's email list as staff see it (not a test module)."""

from __future__ import annotations

import uuid

from flask import Flask

from app.accounts.models import Role
from tests.signin import make_user, sign_in


def email_row(app: Flask, case_id: uuid.UUID, message_id: uuid.UUID, *, login: str) -> str:
    """The case page's row for one email, as a caseworker ``login`` sees it."""
    user, secret = make_user(login, Role.CASEWORKER)
    browser = app.test_client()
    sign_in(browser, user, secret)
    page = browser.get(f"/console/cases/{case_id}").text
    return page.split(f'id="email-{message_id}"', 1)[1].split("</tr>")[0]
