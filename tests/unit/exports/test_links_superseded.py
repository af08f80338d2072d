"""Links to a pack that a newer version replaced: revoked, with the reason,
when the newer version is ready (a link staff withdrew stays "withdrawn");
and refused even if left unrevoked. A rebuild that is not ready replaces
nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.exports import links, packs
from app.exports.links import LinkState
from app.exports.models import PackStatus, ResponsePack
from app.exports.revocation import SUPERSEDED
from app.extensions import db
from tests.unit.exports.factory import approved_without_items, stored_pack


@pytest.fixture
def case(world, caseworker):
    return approved_without_items(world, caseworker)


def _send(pack, audience="school", actor=None) -> links.SentLink:
    sent = links.send_pack(pack, audience, actor)
    db.session.commit()
    return sent


def _revocations() -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "pack.link_revoked").order_by(AuditEvent.seq)
    ).all()


def test_building_a_newer_version_revokes_the_older_links_with_the_reason(case, caseworker):
    first = stored_pack(case, caseworker)
    to_school = _send(first, "school", caseworker).link
    to_requester = _send(first, "requester", caseworker).link
    withdrawn = _send(first, "school", caseworker).link
    links.revoke(withdrawn, caseworker)
    db.session.commit()

    rebuilt = packs.build_pack(case, caseworker)
    db.session.commit()  # the build runs inline
    db.session.expire_all()
    assert rebuilt.status is PackStatus.READY, rebuilt.error_code

    for link in (to_school, to_requester):
        assert link.revoked_at is not None and link.revoked_by_id is None
        assert links.state_of(link) is LinkState.SUPERSEDED
        assert links.take_download(link, "pdf") is None
    # A link staff withdrew stays "withdrawn", and is not revoked again.
    assert links.state_of(withdrawn) is LinkState.REVOKED and withdrawn.revoked_by_id == caseworker.id
    events = [event for event in _revocations() if event.object_id != withdrawn.id]
    assert {event.object_id for event in events} == {to_school.id, to_requester.id}
    for event in events:
        assert event.actor_type == "system" and event.actor_id is None
        assert event.data["reason"] == SUPERSEDED and event.data["by_version"] == 2
        assert event.data["by_pack"] == str(rebuilt.id) and event.data["pack"] == str(first.id)

    fresh = _send(rebuilt, "school", caseworker).link
    assert links.state_of(fresh) is LinkState.USABLE and links.take_download(fresh, "pdf") == 1


def test_a_link_to_an_older_pack_is_refused_even_if_left_unrevoked(case, caseworker):
    first = stored_pack(case, caseworker)
    sent = _send(first)
    link = sent.link
    # A rebuild that failed replaces nothing: the link still works.
    failed = ResponsePack(case_id=case.id, version=2, status=PackStatus.FAILED, error_code="storage_failed")
    db.session.add(failed)
    db.session.commit()
    assert links.state_of(link) is LinkState.USABLE

    stored_pack(case, caseworker)  # version 3, ready, without the build's revocation
    assert link.revoked_at is None
    assert links.state_of(link) is LinkState.SUPERSEDED
    check = links.check_code(link, sent.code)
    assert check.outcome is None and check.state is LinkState.SUPERSEDED
    assert links.take_download(link, "zip") is None
    db.session.commit()
    db.session.refresh(link)
    assert link.download_count == 0
