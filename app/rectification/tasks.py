"""The apply job: one per request to apply a case's corrections, ids only."""

from __future__ import annotations

import uuid

from app.jobs import task

APPLY_TASK = "rectification.apply"


@task(APPLY_TASK, timeout=600)
def apply_task(case_id: uuid.UUID, actor_id: uuid.UUID | None = None) -> None:
    from app.rectification.apply import run_apply  # apply imports this module to register the task

    run_apply(case_id, actor_id)
