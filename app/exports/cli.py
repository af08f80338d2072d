"""``flask packs destroy-expired [--as-of DATE] [--dry-run]``."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from app.exports.retention import destroy_expired_packs
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
    """Crypto-shred the packs of cases closed longer ago than the retention period."""
    now = as_of.replace(tzinfo=UTC) if as_of else None
    report = destroy_expired_packs(now, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for pack_id in report.packs:
        click.echo(f"{'would destroy' if dry_run else 'destroyed'} pack {pack_id}")
    click.echo(str(report))
