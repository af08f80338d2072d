"""Download links: minting (token and code never stored, two emails),
who gets them and what that does to the case, expiry, the download limit
(atomic under concurrency), revocation, wrong codes and the lockout after
five, and the audit trail of every look, attempt and download."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import Role
from app.accounts.scoping import NotInScope
from app.audit.models import AuditEvent
from app.cases import lifecycle
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseStatus
from app.crypto import token_digest
from app.db import utcnow
from app.exports import links
from app.exports.links import MAX_CODE_ATTEMPTS, CodeOutcome, LinkState
from app.exports.models import DownloadLink, LinkAudience, PackStatus
from app.extensions import db
from app.mail.models import OutboxMessage
from app.sources.validation import FieldError
from tests.threads import run_together
from tests.unit.api.estate import make_user
from tests.unit.exports.factory import approved_without_items, stored_pack


@pytest.fixture
def case(world, caseworker):
    return approved_without_items(world, caseworker)


@pytest.fixture
def pack(case, caseworker):
    return stored_pack(case, caseworker)


def _send(pack, audience="school", actor=None, **options) -> links.SentLink:
    sent = links.send_pack(pack, audience, actor, **options)
    db.session.commit()
    return sent


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _pack_mail() -> list[OutboxMessage]:
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.category.startswith("pack."))
        .order_by(OutboxMessage.created_at)
    ).all()


def _events(action: str) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    ).all()


def test_sending_to_the_school_mints_a_link_and_emails_link_and_code_apart(case, pack, caseworker):
    sent = _send(pack, "school", caseworker)
    link = sent.link
    token = sent.url.rsplit("/", 1)[1]
    assert sent.url == f"http://localhost/download/{token}" and len(token) >= 43  # 256 bits
    assert link.token_hash == token_digest(token) and link.audience is LinkAudience.SCHOOL
    assert link.recipient_email == case.organisation.dp_contact_email
    # The code is a keyed hash bound to the link, not a plain digest anyone could brute-force.
    assert len(sent.code) == 6 and sent.code.isdigit()
    assert link.code_hash == links.code_hash(link.id, sent.code)
    assert link.code_hash != hashlib.sha256(sent.code.encode()).hexdigest()
    assert (link.max_downloads, link.download_count, link.failed_code_attempts) == (3, 0, 0)
    assert timedelta(days=6, hours=23) < link.expires_at - utcnow() <= timedelta(days=7)

    messages = _pack_mail()
    assert [m.category for m in messages] == ["pack.link", "pack.code"]
    with_link, with_code = messages
    for message in messages:
        assert case.organisation.dp_contact_email in message.recipients
        assert case.reference in message.subject
    assert token in with_link.text_body and token in with_link.html_body
    assert sent.code not in with_link.text_body + with_link.html_body + with_link.subject
    assert sent.code in with_code.text_body and sent.code in with_code.html_body
    assert token not in with_code.text_body + with_code.html_body
    assert "registered data protection contact" in with_link.text_body

    # The school deciding is not the response: the case stays approved.
    assert case.status is CaseStatus.APPROVED
    (event,) = _events("pack.link_sent")
    assert event.data == {
        "pack": str(pack.id),
        "link": str(link.id),
        "audience": "school",
        "days": 7,
        "max": 3,
    }
    stored = db.session.execute(select(DownloadLink.__table__)).mappings().one()
    assert not any(token in str(value) or sent.code == str(value) for value in stored.values())


def test_sending_to_the_requester_is_the_response(case, pack, caseworker):
    sent = _send(pack, "requester", caseworker, days=14, max_downloads=5)
    assert sent.link.recipient_email == case.requester_email
    assert (sent.link.max_downloads, (sent.link.expires_at - utcnow()).days) == (5, 13)
    assert case.status is CaseStatus.RESPONDED
    moved = [e for e in _events("case.status_changed") if e.data["to"] == "responded"]
    assert moved[0].data["via"] == "link" and moved[0].actor_id == caseworker.id
    messages = _pack_mail()
    assert {m.recipients for m in messages} == {case.requester_email}
    assert all("Siobhan O'Brien" in m.text_body for m in messages)
    # Sending again (a lost email) keeps the case responded.
    _send(pack, "requester", caseworker)
    assert case.status is CaseStatus.RESPONDED and len(links.links_for(case)) == 2


def test_only_the_newest_ready_pack_of_a_deliverable_case_is_sent(case, pack, caseworker):
    newer = stored_pack(case, caseworker)
    with pytest.raises(IllegalTransition, match="newest ready"):
        links.send_pack(pack, "school", caseworker)
    db.session.rollback()
    with pytest.raises(FieldError):
        links.send_pack(newer, "school", caseworker, days=31)
    with pytest.raises(FieldError):
        links.send_pack(newer, "school", caseworker, max_downloads=0)
    with pytest.raises(ValueError):
        links.send_pack(newer, "everyone", caseworker)
    db.session.rollback()
    lifecycle.move(case, CaseStatus.RESPONDED, caseworker)
    lifecycle.move(case, CaseStatus.CLOSED, caseworker)
    db.session.commit()
    with pytest.raises(IllegalTransition, match="approved or responded"):
        links.send_pack(newer, "school", caseworker)
    db.session.rollback()
    assert db.session.scalars(select(DownloadLink)).all() == []


def test_an_expired_link_refuses_codes_and_downloads(pack):
    sent = _send(pack)
    link = sent.link
    later = link.expires_at + timedelta(seconds=1)
    assert links.state_of(link, now=later) is LinkState.EXPIRED
    check = links.check_code(link, sent.code, now=later)
    assert check.outcome is None and check.state is LinkState.EXPIRED
    assert links.take_download(link, "pdf", now=later) is None
    assert link.failed_code_attempts == 0 and link.download_count == 0
    db.session.commit()
    assert [e.data for e in _events("download.code_refused")] == [{"state": "expired"}]
    assert [e.data for e in _events("download.refused")] == [{"file": "pdf"}]


def test_the_download_limit_counts_every_file(pack):
    link = _send(pack, max_downloads=3).link
    assert [links.take_download(link, kind) for kind in ("pdf", "zip", "pdf")] == [1, 2, 3]
    assert links.take_download(link, "zip") is None
    db.session.commit()
    assert links.state_of(link) is LinkState.EXHAUSTED and link.last_download_at is not None
    downloads = _events("download.file_downloaded")
    assert [e.data["file"] for e in downloads] == ["pdf", "zip", "pdf"]
    assert [e.data["count"] for e in downloads] == [1, 2, 3]
    assert all(e.object_id == link.id and e.actor_type == "anonymous" for e in downloads)


def test_a_stale_copy_of_the_link_cannot_take_a_download_past_the_limit(pack):
    link = _send(pack, max_downloads=1).link
    assert links.take_download(link, "pdf") == 1
    db.session.commit()
    # As another request that read the row before this download would see it
    # (set without marking it changed, so nothing writes it back).
    set_committed_value(link, "download_count", 0)
    assert links.take_download(link, "zip") is None


def _in_threads(app: Flask, count: int, work) -> list:
    """Run ``work()`` in ``count`` threads at once, each in its own app
    context (so its own session and connection); returns their results."""
    barrier = threading.Barrier(count)

    def run(_index: int):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                result = work()
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise
            finally:
                db.session.remove()

    return run_together(run, range(count))


def test_parallel_downloads_never_exceed_the_limit(app, pack):
    link_id = _send(pack, max_downloads=3).link.id

    def download():
        return links.take_download(db.session.get(DownloadLink, link_id), "pdf")

    results = _in_threads(app, 8, download)
    assert sorted(r for r in results if r is not None) == [1, 2, 3]
    assert results.count(None) == 5
    db.session.expire_all()
    assert db.session.get(DownloadLink, link_id).download_count == 3


def test_parallel_guesses_never_get_more_than_five_tries(app, pack):
    sent = _send(pack)
    link_id, wrong = sent.link.id, _wrong(sent.code)

    def guess():
        return links.check_code(db.session.get(DownloadLink, link_id), wrong).outcome

    outcomes = _in_threads(app, 10, guess)
    db.session.expire_all()
    link = db.session.get(DownloadLink, link_id)
    assert link.failed_code_attempts == MAX_CODE_ATTEMPTS
    assert len(_events("download.code_rejected")) == MAX_CODE_ATTEMPTS  # at most five compared
    assert outcomes.count(CodeOutcome.LOCKED) == 1
    assert links.check_code(link, sent.code).outcome is None  # locked: even the right code


def test_revoking_stops_the_link_at_once_and_twice_is_harmless(pack, caseworker):
    sent = _send(pack)
    link = links.revoke(sent.link, caseworker)
    db.session.commit()
    assert link.revoked_at is not None and link.revoked_by_id == caseworker.id
    assert links.state_of(link) is LinkState.REVOKED
    assert links.check_code(link, sent.code).outcome is None
    assert links.take_download(link, "pdf") is None
    links.revoke(link, caseworker)
    db.session.commit()
    (event,) = _events("pack.link_revoked")
    assert event.object_id == link.id and event.actor_id == caseworker.id


def test_wrong_codes_count_and_the_fifth_locks_the_link(pack):
    sent = _send(pack)
    link = sent.link
    first = links.check_code(link, _wrong(sent.code))
    assert (first.outcome, first.attempts_left) == (CodeOutcome.WRONG, 4)
    # Spaces and dashes are how people copy codes; they are not wrong.
    spaced = links.check_code(link, f"{sent.code[:3]} {sent.code[3:]}")
    assert spaced.outcome is CodeOutcome.ACCEPTED and link.failed_code_attempts == 1
    for left in (3, 2, 1):
        assert links.check_code(link, "not a code").attempts_left == left
    last = links.check_code(link, _wrong(sent.code))
    assert (last.outcome, last.state) == (CodeOutcome.LOCKED, LinkState.LOCKED)
    db.session.commit()
    assert links.state_of(link) is LinkState.LOCKED and link.failed_code_attempts == 5
    assert links.check_code(link, sent.code).outcome is None
    assert links.take_download(link, "pdf") is None
    db.session.commit()
    assert [e.data["attempts"] for e in _events("download.code_rejected")] == [1, 2, 3, 4, 5]
    assert len(_events("download.code_accepted")) == 1
    assert len(_events("download.link_locked")) == 1


def test_every_look_is_audited_with_ids_only(case, pack):
    sent = _send(pack)
    token = sent.url.rsplit("/", 1)[1]
    assert links.view_link("no-such-token") == (None, None)
    link, state = links.view_link(token)
    assert link.id == sent.link.id and state is LinkState.USABLE
    links.check_code(link, sent.code)
    db.session.commit()
    (unknown,) = _events("download.link_unknown")
    assert unknown.object_id is None and unknown.data == {} and unknown.actor_type == "anonymous"
    (viewed,) = _events("download.link_viewed")
    assert viewed.object_type == "download_link" and viewed.data == {"state": "usable"}
    ours = select(AuditEvent).where(AuditEvent.action.like("download.%") | AuditEvent.action.like("pack.%"))
    text = str([(e.action, e.data) for e in db.session.scalars(ours)])
    for secret in (
        token,
        sent.code,
        case.requester_email,
        case.organisation.dp_contact_email,
        case.reference,
    ):
        assert secret not in text


def test_a_destroyed_pack_s_link_reads_as_expired(pack):
    sent = _send(pack)
    pack.status = PackStatus.DESTROYED
    db.session.commit()
    assert links.state_of(sent.link) is LinkState.EXPIRED
    assert links.take_download(sent.link, "pdf") is None


def test_links_are_scoped_to_the_user_s_organisations(world, pack, caseworker):
    link = _send(pack).link
    elm = make_user("office@elm.sch.example", Role.SCHOOL, world.elm)
    oak = make_user("office@oak.sch.example", Role.SCHOOL, world.oak)
    db.session.commit()
    assert links.link_in_scope(elm, link.id) is link
    assert links.link_in_scope(caseworker, link.id) is link
    with pytest.raises(NotInScope):
        links.link_in_scope(oak, link.id)
    with pytest.raises(NotInScope):
        links.link_in_scope(elm, pack.id)
