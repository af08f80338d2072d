"""Periodic upkeep, run by RQ's cron scheduler (``flask scheduler``).

Each periodic task is a plain function over the database; the scheduler
enqueues ``run_periodic(name)`` on RQ at its interval and any worker runs it.
These runs are not recorded as ``Job`` rows: they would add a row every few
minutes and say nothing a log line does not.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from app.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    every_seconds: int
    run: Callable[[], str]


def _repair_jobs() -> str:
    from app.jobs.repair import repair

    return str(repair(queued_for=timedelta(minutes=15), running_for=timedelta(hours=1)))


def _retry_mail() -> str:
    from app.mail.services import retry_failed

    return f"{len(retry_failed())} message(s) queued again"


def _purge_old_mail() -> str:
    from app.mail.retention import purge_old_mail

    return str(purge_old_mail())


def _case_reminders() -> str:
    from app.cases.reminders import send_reminders

    return f"{send_reminders()} case reminder(s) sent"


def _withdraw_unconfirmed() -> str:
    from app.cases.unconfirmed import withdraw_unconfirmed

    return f"{withdraw_unconfirmed()} unconfirmed request(s) withdrawn"


def _close_answered_cases() -> str:
    from app.cases.auto_close import close_answered

    return str(close_answered())


# A run after a long pause (or the first ever) may find thousands of cases
# due; one transaction for them all would hold its locks, and every case it
# loaded, for minutes. So these tasks take the cases in batches, each
# committed on its own: a run killed midway keeps what it finished, and the
# next run takes the rest.
RETENTION_BATCH = 200


class _Batch(Protocol):
    cases: list[uuid.UUID]


def _in_batches(run_batch: Callable[[int], _Batch]) -> str:
    summaries = []
    while True:
        report = run_batch(RETENTION_BATCH)
        db.session.commit()
        summaries.append(str(report))
        if len(report.cases) < RETENTION_BATCH:
            break
    if len(summaries) == 1:
        return summaries[0]
    return f"{len(summaries)} batches: " + "; ".join(summaries)


def _destroy_expired_copies() -> str:
    from app.exports.retention import destroy_expired_copies

    return _in_batches(lambda limit: destroy_expired_copies(limit=limit))


def _reduce_case_records() -> str:
    from app.cases.record_retention import reduce_due_records

    return _in_batches(lambda limit: reduce_due_records(limit=limit))


def _retention_sweep() -> str:
    from app.rights.retention import daily_sweep

    return daily_sweep()


def _lift_due_restrictions() -> str:
    from app.restriction.lifting import lift_due

    return f"{lift_due()} restriction(s) lifted"


PERIODIC: dict[str, Periodic] = {
    periodic.name: periodic
    for periodic in (
        Periodic("jobs.repair", 300, _repair_jobs),
        Periodic("mail.retry", 300, _retry_mail),
        # Daily; deletes mail delivered long ago, and a re-run finds it gone.
        Periodic("mail.purge", 86400, _purge_old_mail),
        # Daily; reminders are idempotent, so a restart re-running it sends nothing twice.
        Periodic("cases.reminders", 86400, _case_reminders),
        # Daily; a re-run finds the same cases already withdrawn.
        Periodic("cases.withdraw_unconfirmed", 86400, _withdraw_unconfirmed),
        # Daily; closes cases answered long ago, and a re-run finds them closed.
        Periodic("cases.close_answered", 86400, _close_answered_cases),
        # Daily; destroys what long-finished cases copied (packs, evidence files,
        # items, candidate summaries), and a re-run finds them destroyed. The
        # name is older than the copies beyond packs.
        Periodic("packs.destroy_expired", 86400, _destroy_expired_copies),
        # Daily; reduces the records of cases finished years ago, and a re-run
        # finds them reduced.
        Periodic("cases.reduce_records", 86400, _reduce_case_records),
        # Daily; idempotent, a re-run the same day finds nothing left to sweep.
        Periodic("retention.sweep", 86400, _retention_sweep),
        # Daily; lifts only rows whose day has come and whose requester was told,
        # and a re-run finds them lifted.
        Periodic("restriction.lift_due", 86400, _lift_due_restrictions),
    )
}


def run_periodic(name: str) -> str:
    """RQ entry point: run one periodic task in the application and commit."""
    from app.jobs.runner import _app_for_worker, _forget_inherited_connections

    app = _app_for_worker()
    _forget_inherited_connections(app)
    with app.app_context():
        try:
            summary = PERIODIC[name].run()
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
    log.info("periodic %s: %s", name, summary)
    return summary


def build_scheduler(connection, queue: str = "default"):
    """An RQ ``CronScheduler`` with every periodic task registered."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=connection, name="rightsdesk-upkeep")
    for periodic in PERIODIC.values():
        scheduler.register(
            run_periodic,
            queue_name=queue,
            args=(periodic.name,),
            interval=periodic.every_seconds,
            job_timeout=300,
            name=periodic.name,
        )
    return scheduler
