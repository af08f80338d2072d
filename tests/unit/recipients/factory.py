"""A case about a pupil of a trust's school, with some of the pupil's data
collected, and the changes Art 19 tells of made on it (not a test module)."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.accounts.models import Role, User
from app.cases.models import Case
from app.collect.models import CollectedItem
from app.db import new_uuid, utcnow
from app.erasure.models import ErasurePlan, ErasureStep, PlanStatus, StepAction, StepState
from app.extensions import db
from app.orgs.models import Organisation
from app.rectification.models import ProposalStatus, RectificationProposal
from app.register.models import RegisterEntry
from app.restriction.models import Restriction
from app.sources.protocol import PersonKind
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


def restricted(case: Case, kind: PersonKind = PersonKind.PUPIL) -> Restriction:
    """One of the subject's records restricted on this case (no hold: the
    notices only ask which kinds of record are restricted)."""
    row = Restriction(
        id=new_uuid(),
        case_id=case.id,
        organisation_id=case.organisation_id,
        person_kind=kind,
        person_id=new_uuid(),
        reason="Accuracy disputed.",
    )
    db.session.add(row)
    db.session.commit()
    return row


def corrected(
    case: Case, kind: PersonKind = PersonKind.PUPIL, field: str = "postcode"
) -> RectificationProposal:
    """One applied correction of one of the subject's records."""
    proposal = RectificationProposal(
        id=new_uuid(),
        case_id=case.id,
        kind=kind,
        record_id=new_uuid(),
        field=field,
        before_value="LS1 4AP",
        proposed_value="LS2 7EW",
        status=ProposalStatus.APPLIED,
        applied_at=utcnow(),
    )
    db.session.add(proposal)
    db.session.commit()
    return proposal


def erased(case: Case, *steps: tuple[str, str, StepAction, int]) -> ErasurePlan:
    """An erasure plan for the case, every step executed: (source, category,
    action, rows changed) per step; a ``keep`` step changes none."""
    now = utcnow()
    plan = ErasurePlan(
        id=new_uuid(),
        case_id=case.id,
        status=PlanStatus.DONE,
        as_of=now.date(),
        built_at=now,
        completed_at=now,
    )
    for position, (source, category, action, count) in enumerate(steps):
        plan.steps.append(
            ErasureStep(
                id=new_uuid(),
                position=position,
                source=source,
                category=category,
                action=action,
                organisation_ids=[str(case.organisation_id)],
                record_count=count,
                state=StepState.DONE,
                affected_count=0 if action is StepAction.KEEP else count,
                executed_at=now,
            )
        )
    db.session.add(plan)
    db.session.commit()
    return plan


def disclose(source: str, category: str, *names: str) -> None:
    """The register names more recipients for one category."""
    entry = db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == source, RegisterEntry.category == category)
    ).one()
    entry.recipients = [*entry.recipients, *names]
    db.session.commit()
