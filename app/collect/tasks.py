"""The gather's job: one per source per case, ids only (see ``app.jobs``)."""

from __future__ import annotations

import uuid

from app.collect.gather import GATHER_TASK, run_source
from app.jobs import task


@task(GATHER_TASK, timeout=1800)
def run_source_task(case_id: uuid.UUID, source_name: str) -> None:
    run_source(case_id, source_name)
