"""What the erasure certificate says, from the executed plan.

Lines name stores, categories, actions and counts only: the subject is
identified by the case reference, never by name or record content. Kept
data carries its reason; the backups' age-out date (erased on + 90 days,
the privacy policy's backup period) is stated with the date itself.
"""

from __future__ import annotations

from typing import Any

from app.cases.models import Case
from app.erasure import targets
from app.erasure.models import ErasurePlan, ErasureStep, StepAction
from app.sources import registry

_DONE = {
    StepAction.DELETE: "deleted",
    StepAction.ANONYMISE: "anonymised",
    StepAction.KEEP_NAME: "details removed, name kept",
}


def _what(step: ErasureStep, count: int) -> str:
    source = registry.get_source(step.source).title
    label = targets.BY_KEY[(step.source, step.category)].label
    return f"{source}: {label} ({count} record{'s' if count != 1 else ''})"


def erased_lines(plan: ErasurePlan) -> list[str]:
    return [
        f"{_what(step, step.affected_count or 0)}, {_DONE[step.action]}"
        for step in plan.steps
        if step.action is not StepAction.KEEP
    ]


def kept_lines(plan: ErasurePlan) -> list[dict[str, str]]:
    return [
        {"what": _what(step, step.record_count), "why": step.reason or ""}
        for step in plan.steps
        if step.action is not StepAction.DELETE and step.reason
    ]


def certificate_context(case: Case, plan: ErasurePlan) -> dict[str, Any]:
    systems = sorted(
        {registry.get_source(step.source).title for step in plan.steps if step.action is not StepAction.KEEP}
    )
    return {
        "requester_name": case.requester_name,
        "reference": case.reference,
        "organisation_name": case.organisation.name,
        "erased_on": plan.erased_on,
        "backups_clear_on": plan.backups_expire_on,
        "erased": erased_lines(plan),
        "kept": kept_lines(plan),
        "systems": systems,
    }
