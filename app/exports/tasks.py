"""The pack build's job: one per pack version, its id only (see ``app.jobs``)."""

from __future__ import annotations

import uuid

from app.jobs import task

BUILD_TASK = "exports.build_pack"


# WeasyPrint on a long attendance history takes a while; well under this.
@task(BUILD_TASK, timeout=1800)
def build_pack_task(pack_id: uuid.UUID) -> None:
    from app.exports.packs import run_build  # packs imports this module to register the task

    run_build(pack_id)
