"""``flask packs destroy-expired [--as-of DATE] [--dry-run]``."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from app.exports.retention import destroy_expired_copies
from app.extensions import db

packs_cli = AppGroup("packs", help="Response packs.")


@packs_cli.command("destroy-expired")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as on this date (start of the day, UTC) instead of now.",
)
@click.option("--dry-run", is_flag=True, help="List what would be destroyed; change nothing.")
def destroy_expired_command(as_of: datetime | None, dry_run: bool) -> None:
    """Destroy the copies of personal data held for cases closed or withdrawn
    longer ago than the retention period: response packs and evidence files
    (crypto-shredded), collected items and candidate summaries."""
    now = as_of.replace(tzinfo=UTC) if as_of else None
    report = destroy_expired_copies(now, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would destroy" if dry_run else "destroyed"
    for pack_id in report.packs:
        click.echo(f"{verb} pack {pack_id}")
    for case_id in report.cases:
        click.echo(f"{verb} the copies held for case {case_id}")
    click.echo(str(report))
