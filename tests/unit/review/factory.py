"""A gathered case ready for review (not a test module): Amelia's case from
``tests.unit.collect.factory``, her pupil record confirmed (and, with
``mother=True``, her mother's record as the requester's), gathered from the
real stores with jobs run inline, so the case is in review."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.accounts.models import User
from app.cases.models import Case, CaseStatus
from app.collect import services
from app.collect.models import CollectedItem
from app.extensions import db
from tests.unit.collect.factory import candidate_for, confirmed_amelia
from tests.unit.sources.factories import World


def gathered_amelia(world: World, actor: User, *, mother: bool = True, **overrides) -> Case:
    case = confirmed_amelia(world, actor, **overrides)
    if mother:
        services.decide_candidate(case, candidate_for(case, world.mother.id).id, actor, True)
    services.start_gather(case, actor)
    db.session.commit()  # the gather jobs run inline once this commits
    db.session.expire_all()
    assert case.status is CaseStatus.IN_REVIEW, case.status
    return case


def items_of(case: Case) -> dict[str, CollectedItem]:
    rows = db.session.scalars(select(CollectedItem).where(CollectedItem.case_id == case.id))
    return {item.key: item for item in rows}


def key_of(case: Case, category: str) -> str:
    """The key of the (first) item of ``category``."""
    return min(key for key, item in items_of(case).items() if item.category == category)


def regather(case: Case, key: str, **changes) -> CollectedItem:
    """What a re-gather does to one item: its row replaced by a new one with
    the same key, holding ``changes`` (none: the same data). Committed."""
    old = items_of(case)[key]
    fresh = CollectedItem(
        case_id=case.id,
        source=old.source,
        category=old.category,
        key=old.key,
        title=old.title,
        occurred_on=old.occurred_on,
        data_json=json.dumps({**old.data, **changes}, sort_keys=True, ensure_ascii=False),
    )
    if not changes:
        fresh.data_json = old.data_json
    db.session.delete(old)
    db.session.flush()
    db.session.add(fresh)
    db.session.commit()
    return fresh
