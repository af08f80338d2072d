"""Art 19 for a recipient the register words as a kind, not an organisation
("Others only where the law requires it", a recipient of a pupil's identity
in the seeded register): a rectification or an erasure carried out through
the real API records its notice closed as none recorded, so nothing is left
pending on the case (API, console case page and restriction page), the
school is not asked to tell "others", and the requester's answer says, as
``app.recipients.told`` words it, that no disclosure to anyone else is
recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.api.tokens import issue_token
from app.extensions import db
from app.mail.models import OutboxMessage
from app.recipients.models import NoticeStatus, RecipientNotice
from app.register.models import RegisterEntry
from tests.signin import make_user, sign_in
from tests.unit.erasure.factory import gathered_erasure
from tests.unit.rectification.factory import rectification_case
from tests.unit.sources.factories import build_world

OTHERS = "Others only where the law requires it"
NONE_RECORDED = "no record of this data being disclosed to any other organisation"


@pytest.fixture
def setting(app, db_session):
    app.config["REDIS_URL"] = None  # jobs inline (CI also runs with REDIS_URL set)
    world = build_world(db_session)
    user, secret = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    token = issue_token(user, name="laptop", days=30, actor=user).secret
    db_session.commit()
    # The premise: the seeded register words a recipient of the pupil's identity as a kind.
    identity = db_session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == "pupils", RegisterEntry.category == "identity")
    ).one()
    assert OTHERS in identity.recipients
    return world, (user, secret), {"Authorization": f"Bearer {token}"}


def _rectified(client, world, user, auth):
    case = rectification_case(world, user)
    base = f"/api/v1/cases/{case.reference}/rectification"
    body = {"kind": "pupil", "record_id": str(world.amelia.id), "field": "postcode", "value": "LS2 7EW"}
    proposal = client.post(f"{base}/proposals", headers=auth, json=body).get_json()
    decided = {"proposal_id": proposal["id"], "decision": "approve"}
    assert client.post(f"{base}/decisions", headers=auth, json=decided).status_code == 200
    assert client.post(f"{base}/approve", headers=auth).status_code == 200
    applied = client.post(f"{base}/apply", headers=auth)
    assert applied.status_code == 202 and applied.get_json()["status"] == "responded", applied.text
    return case, "case.rectification_done"


def _erased(client, world, user, auth):
    case = gathered_erasure(world, user)
    base = f"/api/v1/cases/{case.reference}/erasure"
    assert client.post(base, headers=auth).status_code == 201
    assert client.post(f"{base}/approve", headers=auth).status_code == 200
    executed = client.post(f"{base}/execute", headers=auth)
    assert executed.status_code == 202 and executed.get_json()["status"] == "done", executed.text
    return case, "case.erasure_done"


@pytest.mark.parametrize("carry_out", [_rectified, _erased], ids=["rectification", "erasure"])
def test_no_notice_for_a_kind_of_recipient_is_left_pending(client, setting, smtp, carry_out):
    world, (user, secret), auth = setting
    sent = len(smtp.messages)
    case, answered = carry_out(client, world, user, auth)

    listed = client.get(f"/api/v1/cases/{case.reference}/recipients", headers=auth).get_json()
    notices = [n for n in listed["notices"] if n["recipient_name"] == OTHERS]
    assert [(n["status"], n["channel"], n["sent_at"]) for n in notices] == [("no_record", "none", None)]
    assert [n for n in listed["notices"] if n["status"] == "pending"] == []
    assert {r["name"]: r["changes"] for r in listed["recipients"]}[OTHERS] == []
    pending = db.session.scalars(
        select(RecipientNotice).where(
            RecipientNotice.case_id == case.id, RecipientNotice.status == NoticeStatus.PENDING
        )
    ).all()
    assert pending == []

    # Nobody for the school to tell: no email asks it to.
    subjects = [m.message["Subject"] for m in smtp.messages[sent:]]
    assert not [subject for subject in subjects if "recipients to tell" in subject], subjects

    # The requester's answer says what told.py says: no disclosure recorded.
    (answer,) = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == case.id, OutboxMessage.category == answered)
    ).all()
    text = " ".join(answer.text_body.split())
    assert NONE_RECORDED in text and OTHERS not in text
    assert "we have told" not in text.casefold() and "asked" not in text

    # The console shows nothing for anyone to do about it.
    sign_in(client, user, secret)
    page = client.get(f"/console/cases/{case.id}").text
    assert "Notices the school must give" not in page
    restriction = client.get(f"/console/cases/{case.id}/restriction").text
    assert "Record as told" not in restriction
    assert "no disclosure to this kind of recipient is recorded" in restriction
