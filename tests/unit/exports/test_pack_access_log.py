"""A download of a response pack is an export of the subject's records: one
access-log line per record confirmed as the subject's (never the requester's
own records), naming the member of staff, or whom the link was sent to; a
refused download logs nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.exports import links, packs
from app.exports.access import PACK_AREA
from app.exports.codes import ACCESS_AREAS, ACTOR_KINDS
from app.extensions import db
from app.sources.access_log.models import AccessLogEntry
from tests.unit.api.estate import make_user
from tests.unit.exports.factory import approved_with_records, stored_pack


@pytest.fixture
def case(world, caseworker):
    return approved_with_records(world, caseworker)


@pytest.fixture
def pack(case, caseworker):
    return stored_pack(case, caseworker)


def _logged() -> list[AccessLogEntry]:
    return db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.area == PACK_AREA)).all()


def _who(entry: AccessLogEntry) -> tuple:
    return (entry.actor_kind, entry.actor_name, entry.actor_email, entry.action, entry.person_id)


def test_a_staff_download_logs_an_export_of_each_subject_record(world, case, pack, caseworker):
    packs.staff_download(case, pack, "pdf", caseworker)
    db.session.commit()
    (entry,) = _logged()  # Amelia's record; her mother's (the requester's) is not in the pack
    assert _who(entry) == ("rights_desk", caseworker.name, caseworker.email, "export", world.amelia.id)
    assert entry.organisation_id == world.elm.id and entry.person_kind.value == "pupil"

    school = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    packs.staff_download(case, pack, "zip", school)
    db.session.commit()
    kinds = sorted(entry.actor_kind for entry in _logged())
    assert kinds == ["rights_desk", "school_user"]
    # The person's own request names who it was and what they did.
    assert PACK_AREA in ACCESS_AREAS and all(kind in ACTOR_KINDS for kind in kinds)


@pytest.mark.parametrize("audience", ["school", "requester"])
def test_a_link_download_logs_an_export_named_for_whom_the_link_was_sent(world, case, pack, audience):
    link = links.send_pack(pack, audience, None, max_downloads=1).link
    db.session.commit()
    assert links.take_download(link, "pdf") == 1
    db.session.commit()
    (entry,) = _logged()
    if audience == "school":
        named = ("link_school_contact", world.elm.dp_contact_name, world.elm.dp_contact_email)
    else:
        named = ("link_requester", case.requester_name, case.requester_email)
    assert _who(entry) == (*named, "export", world.amelia.id)
    assert entry.actor_kind in ACTOR_KINDS

    assert links.take_download(link, "zip") is None  # used up: refused, nothing logged
    db.session.commit()
    assert len(_logged()) == 1
