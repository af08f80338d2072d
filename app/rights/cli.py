"""``flask retention sweep``: apply the retention schedule, or count what it would take.

Prints one line per enabled rule: the rule, its action, its store and the
number of records. Bad input exits with status 2; a schedule the sweeper
cannot apply exits with status 1 and changes nothing.
"""

from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import AppGroup

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
