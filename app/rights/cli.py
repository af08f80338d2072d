"""``flask retention sweep``: apply the retention schedule, or count what it would take.

Prints one line per enabled rule: the rule, its action, its store and the
number of records. Bad input exits with status 2; a schedule the sweeper
cannot apply exits with status 1 and changes nothing.

``flask retention close-answered``: close the cases answered longer ago than
``RIGHTSDESK_AUTO_CLOSE_DAYS`` (``app.cases.auto_close``), one line per case.

``flask retention case-records``: reduce the records of long-finished cases
(``app.cases.record_retention``), one line per case, then a summary.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time

import click
from flask.cli import AppGroup

from app.cases.auto_close import close_answered
from app.cases.models import Case
from app.cases.record_retention import reduce_due_records
from app.db import utcnow
from app.extensions import db
from app.rights.retention import RetentionScheduleError, sweep

retention_cli = AppGroup("retention", help="The retention schedule.")


def _parse_as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


@retention_cli.command("sweep")
@click.option("--dry-run", is_flag=True, help="Count what each rule would take; change nothing.")
@click.option(
    "--as-of", "as_of", callback=_parse_as_of, metavar="YYYY-MM-DD",
    help="Sweep as if today were this date (default: today, UTC).",
)  # fmt: skip
def sweep_command(dry_run: bool, as_of: date | None) -> None:
    """Delete or anonymise the records whose retention period has ended."""
    as_of = as_of or utcnow().date()
    try:
        results = sweep(as_of, dry_run=dry_run)
        if not dry_run:
            db.session.commit()
    except RetentionScheduleError as exc:
        db.session.rollback()
        click.echo(f"The retention schedule cannot be applied: {exc}.", err=True)
        sys.exit(1)
    except BaseException:
        db.session.rollback()
        raise
    heading = "Dry run: nothing changed" if dry_run else "Swept"
    click.echo(f"{heading}, as of {as_of.isoformat()}.")
    click.echo(f"{'rule':<32} {'action':<10} {'store':<16} {'cut-off':<10} {'count':>10}")
    for result in results:
        click.echo(
            f"{result.code:<32} {result.action.value:<10} {result.store:<16} "
            f"{result.cutoff.isoformat():<10} {result.count:>10,}"
        )
    click.echo(f"{'total':<32} {'':<10} {'':<16} {'':<10} {sum(r.count for r in results):>10,}")


def _as_of_noon(as_of: date | None) -> datetime | None:
    return datetime.combine(as_of, time(12), tzinfo=UTC) if as_of else None


def _run_case_task(dry_run: bool, work: Callable[[], list[str]]) -> None:
    """Run ``work`` (which returns the lines to print, read while the run's
    cases are still loaded: after the commit or rollback each would be
    fetched again), commit it or, on a dry run, roll it back; then print."""
    try:
        lines = work()
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    for line in lines:
        click.echo(line)


def _case_task_options(what: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        command = click.option(
            "--as-of", "as_of", callback=_parse_as_of, metavar="YYYY-MM-DD",
            help="Run as if today were this date (default: now, UTC).",
        )(command)  # fmt: skip
        return click.option("--dry-run", is_flag=True, help=f"List the {what} that are due; change nothing.")(
            command
        )

    return decorate


@retention_cli.command("close-answered")
@_case_task_options("answered cases")
def close_answered_command(dry_run: bool, as_of: date | None) -> None:
    """Close the cases answered (responded or refused) longer ago than
    RIGHTSDESK_AUTO_CLOSE_DAYS with nothing since; closing starts the
    retention of their copies and records."""
    verb = "would close" if dry_run else "closed"

    def work() -> list[str]:
        result = close_answered(_as_of_noon(as_of), dry_run=dry_run)
        return [
            *(f"{verb} {case.reference}, answered {case.answered_at:%Y-%m-%d}" for case in result.closed),
            *(f"kept open, an email is not delivered: {case.reference}" for case in result.kept_for_mail),
            str(result),
        ]

    _run_case_task(dry_run, work)


@retention_cli.command("case-records")
@_case_task_options("case records")
def case_records_command(dry_run: bool, as_of: date | None) -> None:
    """Reduce the records of cases closed or withdrawn longer ago than the
    case-record retention period to what accountability needs."""
    verb = "would reduce" if dry_run else "reduced"

    def work() -> list[str]:
        report = reduce_due_records(_as_of_noon(as_of), dry_run=dry_run)
        cases = [db.session.get(Case, case_id) for case_id in report.cases]
        return [
            *(
                f"{verb} {case.reference or 'an unconfirmed request'} ({case.id}), "
                f"closed {case.closed_at:%Y-%m-%d}"
                for case in cases
            ),
            *(f"kept whole under a restriction or legal hold: case {case_id}" for case_id in report.held),
            str(report),
        ]

    _run_case_task(dry_run, work)
