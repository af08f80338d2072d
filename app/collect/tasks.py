"""The gather's job: one per source per case, ids only (see ``app.jobs``).

The run is marked running in the job's claim (``on_claim``), and the job's
bookkeeping commits asynchronously (``async_commit``): a gather is
idempotent and re-run by the repair when a commit is lost (see
``app.collect.gather``).
"""

from __future__ import annotations

import uuid

from app.collect.gather import GATHER_TASK, claim_run, run_source
from app.jobs import task


@task(GATHER_TASK, timeout=1800, on_claim=claim_run, async_commit=True)
def run_source_task(case_id: uuid.UUID, source_name: str) -> None:
    run_source(case_id, source_name)
