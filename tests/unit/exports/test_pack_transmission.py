"""Art 20(2): a portability request's pack sent straight to the organisation
the requester named. The link and its code go to that organisation's
address, the requester is told where their data went, the case is
answered, a download is access-logged under the organisation's name; an
access request's pack never goes to another organisation; a bad name or
address is refused with every field's message and nothing sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.cases import lifecycle, record_retention
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseStatus, RequestType
from app.exports import links, transmission
from app.exports.access import LINK_CONTROLLER, PACK_AREA
from app.exports.codes import ACTOR_KINDS
from app.exports.models import DownloadLink, LinkAudience
from app.extensions import db
from app.mail.models import OutboxMessage
from app.sources.access_log.models import AccessLogEntry
from app.sources.validation import FieldError, FieldErrors
from tests.unit.collect.factory import candidate_for, confirmed_amelia
from tests.unit.exports.factory import stored_pack

NEW_SCHOOL = "Birch Academy"
NEW_SCHOOL_EMAIL = "admissions@birch.sch.example"


def _approved(world, actor, request_type: RequestType):
    from app.collect import services as collect

    case = confirmed_amelia(world, actor, request_type=request_type.value)
    collect.decide_candidate(case, candidate_for(case, world.mother.id).id, actor, True)
    for status in (CaseStatus.GATHERING, CaseStatus.IN_REVIEW, CaseStatus.APPROVED):
        lifecycle.move(case, status, actor)
    db.session.commit()
    return case


@pytest.fixture
def case(world, caseworker):
    return _approved(world, caseworker, RequestType.PORTABILITY)


@pytest.fixture
def pack(case, caseworker):
    return stored_pack(case, caseworker)


def _mail(case) -> list[OutboxMessage]:
    """The emails about the case's pack (its acknowledgement and the like left out)."""
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.case_id == case.id, OutboxMessage.category.startswith("pack."))
        .order_by(OutboxMessage.created_at)
    ).all()


def test_the_organisation_gets_the_link_and_the_requester_its_code_and_their_own_link(case, pack, caseworker):
    sent = transmission.send_to_organisation(pack, caseworker, f"  {NEW_SCHOOL} ", NEW_SCHOOL_EMAIL, days=10)
    db.session.commit()
    link = sent.link
    assert link.audience is LinkAudience.CONTROLLER
    assert (link.recipient_name, link.recipient_email) == (NEW_SCHOOL, NEW_SCHOOL_EMAIL)
    assert case.status is CaseStatus.RESPONDED

    to_organisation = [m for m in _mail(case) if m.recipients == NEW_SCHOOL_EMAIL]
    assert [m.category for m in to_organisation] == ["pack.link"]  # never the code
    (with_link,) = to_organisation
    assert "Siobhan O'Brien asked Elm Primary" in with_link.text_body
    assert "Article 20(2)" in with_link.text_body and "ask them for it" in with_link.text_body
    assert sent.url in with_link.text_body and sent.code not in with_link.text_body + with_link.html_body

    to_requester = [m for m in _mail(case) if m.recipients == case.requester_email]
    assert sorted(m.category for m in to_requester) == ["pack.code", "pack.link", "pack.transmitted"]
    told = next(m for m in to_requester if m.category == "pack.transmitted")
    assert NEW_SCHOOL in told.subject and NEW_SCHOOL_EMAIL in told.text_body and NEW_SCHOOL in told.html_body
    assert sent.code in told.text_body and sent.code in told.html_body and sent.url not in told.text_body
    # The requester's own link is to the same pack, so they see what the organisation will get.
    own = [item for item in links.links_for(case) if item.audience is LinkAudience.REQUESTER]
    assert [item.pack_id for item in own] == [pack.id]


def test_a_download_through_it_is_logged_under_the_organisations_name(world, case, pack, caseworker):
    link = transmission.send_to_organisation(pack, caseworker, NEW_SCHOOL, NEW_SCHOOL_EMAIL).link
    db.session.commit()
    assert links.take_download(link, "zip") == 1
    db.session.commit()
    (entry,) = db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.area == PACK_AREA)).all()
    assert (entry.actor_kind, entry.actor_name) == (LINK_CONTROLLER, NEW_SCHOOL)
    assert entry.actor_email == NEW_SCHOOL_EMAIL
    assert entry.person_id == world.amelia.id and LINK_CONTROLLER in ACTOR_KINDS


def test_an_access_requests_pack_never_goes_to_another_organisation(world, caseworker):
    case = _approved(world, caseworker, RequestType.ACCESS)
    pack = stored_pack(case, caseworker)
    with pytest.raises(IllegalTransition, match="data portability"):
        transmission.send_to_organisation(pack, caseworker, NEW_SCHOOL, NEW_SCHOOL_EMAIL)
    db.session.rollback()
    assert db.session.scalars(select(DownloadLink)).all() == [] and case.status is CaseStatus.APPROVED


@pytest.mark.parametrize(
    ("name", "email", "fields"),
    [
        ("", "", {"organisation_name", "organisation_email"}),
        (NEW_SCHOOL, "not an address", {"organisation_email"}),
        ("x" * 201, NEW_SCHOOL_EMAIL, {"organisation_name"}),
        ("Birch\u0007Academy", NEW_SCHOOL_EMAIL, {"organisation_name"}),
        (NEW_SCHOOL, "jöhn@birch.sch.example", {"organisation_email"}),
    ],
)
def test_a_bad_name_or_address_is_refused_by_field_and_nothing_is_sent(
    case, pack, caseworker, name, email, fields
):
    with pytest.raises(FieldErrors) as refused:
        transmission.send_to_organisation(pack, caseworker, name, email)
    assert set(refused.value.errors) == fields
    db.session.rollback()
    assert db.session.scalars(select(DownloadLink)).all() == [] and _mail(case) == []


def test_the_generic_send_refuses_the_controller_audience_without_an_organisation(case, pack, caseworker):
    with pytest.raises(FieldError):
        links.send_pack(pack, LinkAudience.CONTROLLER, caseworker)


def test_the_organisations_name_and_address_go_when_the_case_record_is_reduced(case, pack, caseworker):
    link = transmission.send_to_organisation(pack, caseworker, NEW_SCHOOL, NEW_SCHOOL_EMAIL).link
    db.session.commit()
    case.status = CaseStatus.CLOSED
    case.closed_at = datetime(2019, 9, 2, 15, tzinfo=UTC)
    db.session.commit()
    record_retention.reduce_due_records(datetime(2026, 9, 2, 12, tzinfo=UTC))
    db.session.commit()
    db.session.expire_all()
    reduced = db.session.get(DownloadLink, link.id)
    assert (reduced.recipient_name, reduced.recipient_email) == (None, None)
    assert reduced.audience is LinkAudience.CONTROLLER
