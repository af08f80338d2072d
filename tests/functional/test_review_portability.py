"""A data portability request reviewed through the real console and API: the
items outside the right are listed with their reason, never offered for a
decision (404 if asked), and approval follows once the covered items are
decided."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.cases.models import RequestType
from app.extensions import db
from tests.signin import make_user, sign_in
from tests.unit.api.estate import make_user as make_api_user
from tests.unit.portability.factory import contract_with_parents
from tests.unit.review.factory import gathered_amelia, key_of
from tests.unit.sources.factories import build_world


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    world = build_world(db_session)
    user = make_api_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    secret = issue_token(user, name="elm token", days=30, actor=user).secret
    db_session.commit()
    contract_with_parents()  # the seeded state school holds it all for its public task
    case = gathered_amelia(world, user, request_type=RequestType.PORTABILITY.value)
    return world, case, {"Authorization": f"Bearer {secret}"}


def test_api_review_lists_what_the_right_does_not_cover_and_refuses_to_decide_it(client, setting):
    _world, case, auth = setting
    base = f"/api/v1/cases/{case.reference}"
    review = client.get(f"{base}/review", headers=auth).get_json()
    reviewed = {(g["source"], g["category"]) for g in review["groups"]}
    listed = {(n["source"], n["category"]): n for n in review["not_portable"]}
    assert ("pupils", "identity") in reviewed and ("pupils", "attendance") not in reviewed
    assert listed[("pupils", "attendance")]["reason"] == "not_provided"
    assert "Article 20(1)" in listed[("pupils", "attendance")]["explanation"]

    outside = client.post(
        f"{base}/review/decisions",
        headers=auth,
        json={"item_key": key_of(case, "attendance"), "action": "disclose"},
    )
    assert outside.status_code == 404

    bulk = client.post(f"{base}/review/bulk", headers=auth, json={"action": "disclose", "undecided": True})
    assert bulk.status_code == 200 and bulk.get_json()["decided"] == review["progress"]["total"]
    approved = client.post(f"{base}/approve", headers=auth)
    assert approved.status_code == 200, approved.text
    db.session.expire_all()
    assert case.status.value == "approved"


def test_console_review_shows_the_items_outside_the_right(app, client, setting):
    world, case, _auth = setting
    user, secret = make_user("dpo@elm.sch.example", Role.SCHOOL, world.elm)
    sign_in(client, user, secret)
    page = client.get(f"/console/cases/{case.id}/review").get_data(as_text=True)
    assert "Outside the right to data portability" in page
    section = page.split("Outside the right to data portability", 1)[1].split("</section>", 1)[0]
    assert "Attendance" in section and "Correspondence" in section
    assert "only the messages the person wrote" in section
