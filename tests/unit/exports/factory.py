"""Approved cases with collected items, for the pack and link tests (not a
test module).

The case is Amelia's from ``tests.unit.collect.factory``: confirmed, gathered
from the real stores (jobs inline), every item given a "disclose" decision
directly (``app.review.services`` is not relied on), then moved to approved
through the lifecycle. Callers must run jobs inline (``REDIS_URL`` unset).
"""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.cases import lifecycle
from app.cases.models import Case, CaseStatus
from app.collect import services as collect
from app.collect.models import CollectedItem
from app.db import new_uuid, utcnow
from app.exports.content import item_digest
from app.exports.models import ResponsePack
from app.extensions import db
from app.review.models import Action, ItemDecision
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.sources.factories import World


def gathered_case(world: World, actor: User, **overrides) -> Case:
    """Amelia's case gathered from every store and in review (committed)."""
    case = confirmed_amelia(world, actor, **overrides)
    collect.start_gather(case, actor)
    db.session.commit()  # the gather jobs run inline on this commit
    db.session.expire_all()
    if case.status is not CaseStatus.IN_REVIEW:
        raise AssertionError(f"the gather left the case {case.status.value}; run jobs inline")
    return case


def decide_all(case: Case, actor: User | None, action: Action = Action.DISCLOSE) -> int:
    """A decision on every collected item (no commit); returns how many."""
    items = db.session.scalars(select(CollectedItem).where(CollectedItem.case_id == case.id)).all()
    for item in items:
        db.session.add(
            ItemDecision(
                id=new_uuid(),
                case_id=case.id,
                item_key=item.key,
                item_digest=item_digest(item.data_json),
                action=action,
                exemption=None,
                redactions=[],
                decided_by_id=actor.id if actor else None,
                decided_at=utcnow(),
            )
        )
    return len(items)


def approved_case(world: World, actor: User, **overrides) -> Case:
    """Amelia's case with every item disclosed and the case approved (committed)."""
    case = gathered_case(world, actor, **overrides)
    decide_all(case, actor)
    lifecycle.move(case, CaseStatus.APPROVED, actor)
    db.session.commit()
    return case


def approved_without_items(world: World, actor: User, **overrides) -> Case:
    """Amelia's case moved to approved through the lifecycle without a gather
    (no items): enough for tests of links and retention, and quick."""
    from tests.unit.collect.factory import amelia_case

    case = amelia_case(world, actor, **overrides)
    for status in (CaseStatus.GATHERING, CaseStatus.IN_REVIEW, CaseStatus.APPROVED):
        lifecycle.move(case, status, actor)
    db.session.commit()
    return case


def item_count(case: Case) -> int:
    return len(db.session.scalars(select(CollectedItem.id).where(CollectedItem.case_id == case.id)).all())


def stored_pack(case: Case, actor: User | None = None, *, version: int | None = None) -> ResponsePack:
    """A ready pack row with two small stored files, without running the
    build (for tests of what happens after it: links, retention). The build
    itself is tested with the real renderers in ``test_packs``."""
    from sqlalchemy import func

    from app.blobs.services import store_blob
    from app.exports.models import PackStatus

    latest = db.session.scalar(select(func.max(ResponsePack.version)).where(ResponsePack.case_id == case.id))
    pdf = store_blob(b"%PDF-1.7\n% a stand-in for the rendered letter\n%%EOF\n", "application/pdf")
    archive = store_blob(b"PK\x05\x06" + b"\x00" * 18, "application/zip")
    pack = ResponsePack(
        id=new_uuid(),
        case_id=case.id,
        version=version or (latest or 0) + 1,
        status=PackStatus.READY,
        pdf_blob_id=pdf.id,
        zip_blob_id=archive.id,
        pdf_pages=1,
        item_count=item_count(case),
        built_at=utcnow(),
        built_by_id=actor.id if actor else None,
    )
    db.session.add(pack)
    db.session.commit()
    return pack


def approved_with_records(world: World, actor: User) -> Case:
    """Amelia's case with her pupil record confirmed as the subject's and her
    mother's contact record as the requester's, moved to approved without a
    gather (no items): for the access log of a pack's downloads (committed)."""
    from tests.unit.collect.factory import candidate_for

    case = confirmed_amelia(world, actor)
    collect.decide_candidate(case, candidate_for(case, world.mother.id).id, actor, True)
    for status in (CaseStatus.GATHERING, CaseStatus.IN_REVIEW, CaseStatus.APPROVED):
        lifecycle.move(case, status, actor)
    db.session.commit()
    return case
