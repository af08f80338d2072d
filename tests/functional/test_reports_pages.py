"""The dashboard and the request register pages."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts.models import Role
from app.extensions import db
from tests.signin import make_organisation, make_user, sign_in
from tests.unit.cases.factory import opened_case


@pytest.fixture
def signed_in(app, db_session):
    elm = make_organisation("Elm Primary")
    user, secret = make_user("worker@example.org", Role.CASEWORKER)
    opened_case(elm, user, received_on=date(2026, 1, 5), requester_email="old@example.net")
    db.session.commit()
    client = app.test_client()
    sign_in(client, user, secret)
    return client


def test_dashboard_shows_charts_with_tables_behind_them(signed_in):
    page = signed_in.get("/console/dashboard")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count('aria-hidden="true" focusable="false"') == 1  # no answers yet: one chart
    assert "No request has been answered in the last 12 months" in text
    assert "Open cases by status" in text and "Answered on time, by month" in text
    assert "1</span> overdue" in text


def test_register_lists_filters_and_exports_csv(signed_in):
    page = signed_in.get("/console/requests")
    assert page.status_code == 200 and "1 request." in page.get_data(as_text=True)
    none = signed_in.get("/console/requests?from=2026-02-01")
    assert "0 requests." in none.get_data(as_text=True)
    # Typed the way people in the UK write dates: the same filter.
    assert "0 requests." in signed_in.get("/console/requests?from=1/2/2026").get_data(as_text=True)
    assert "1 request." in signed_in.get("/console/requests?to=01-02-2026").get_data(as_text=True)
    export = signed_in.get("/console/requests?format=csv&status=open")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "attachment" in export.headers["Content-Disposition"]
    assert len(export.get_data(as_text=True).strip().splitlines()) == 2


@pytest.mark.parametrize(
    "query",
    [
        "from=yesterday",
        "from=31/2/2026",
        "status=sideways",
        "type=gossip",
        "on_time=maybe",
        "from=2/1/2026&to=1/1/2026",
    ],
)
def test_register_bad_filter_gets_an_error_summary_not_a_500(signed_in, query):
    page = signed_in.get(f"/console/requests?{query}")
    assert page.status_code == 422
    assert 'class="error-summary"' in page.get_data(as_text=True)


def test_register_needs_sign_in(app):
    assert app.test_client().get("/console/requests").status_code in (302, 401)
