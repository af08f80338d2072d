"""A case about a pupil of a trust's school, with some of the pupil's data
collected (not a test module)."""

from __future__ import annotations

import json

from app.accounts.models import Role, User
from app.cases.models import Case
from app.collect.models import CollectedItem
from app.extensions import db
from app.orgs.models import Organisation
from tests.unit.api.estate import make_organisation, make_user
from tests.unit.cases.factory import opened_case


def trust_school() -> tuple[Organisation, Organisation]:
    trust = make_organisation("Rowan Learning Trust", kind="trust")
    school = make_organisation("Rowan Primary", trust=trust)
    db.session.commit()
    return trust, school


def caseworker() -> User:
    user = make_user("case.worker@rightsdesk.example", Role.CASEWORKER)
    db.session.commit()
    return user


def case_holding(school: Organisation, actor: User, *pairs: tuple[str, str], **overrides) -> Case:
    """An open case with one collected item per (source, category)."""
    case = opened_case(school, actor, **overrides)
    for number, (source, category) in enumerate(pairs):
        db.session.add(
            CollectedItem(
                case_id=case.id,
                source=source,
                category=category,
                key=f"{source}:{category}:{number}",
                title=f"{category} record",
                data_json=json.dumps({"value": number}),
            )
        )
    db.session.commit()
    return case
