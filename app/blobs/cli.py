"""``flask keys status`` and ``flask keys rotate``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.blobs.services import DEFAULT_ROTATION_BATCH, key_status, rotate_keys
from app.crypto import CryptoError

keys_cli = AppGroup("keys", help="The master keyring: status and rotation.")


@keys_cli.command("status")
def status_command() -> None:
    """Show the active key and what is sealed under each master key."""
    status = key_status()
    click.echo(f"Active key: {status.active_key_id}")
    click.echo(f"Keyring: {', '.join(status.keyring)}")
    click.echo("Data keys by master key:")
    if not status.data_keys:
        click.echo("  (none)")
    for key_id, (live, destroyed) in sorted(status.data_keys.items()):
        missing = live and key_id not in status.keyring
        warning = "  NOT IN KEYRING: these blobs cannot be opened" if missing else ""
        click.echo(f"  {key_id}: {live} live, {destroyed} destroyed{warning}")
    click.echo("Column values not yet under the active key:")
    for column, count in status.stale_values.items():
        click.echo(f"  {column}: {count}")


@keys_cli.command("rotate")
@click.option(
    "--batch-size", type=click.IntRange(min=1), default=DEFAULT_ROTATION_BATCH, show_default=True,
    help="Rows per committed batch.",
)
def rotate_command(batch_size: int) -> None:
    """Re-wrap data keys and re-encrypt column values under the active key.

    Safe to interrupt and run again. Afterwards, older keys may be removed
    from RIGHTSDESK_MASTER_KEYS.
    """
    try:
        report = rotate_keys(batch_size=batch_size)
    except CryptoError as exc:
        click.echo(f"Rotation stopped: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Active key: {report.active_key_id}")
    click.echo(f"Re-wrapped data keys: {report.data_keys_rewrapped}")
    click.echo(f"Re-encrypted values: {report.values_total}")
    for column, count in report.values_reencrypted.items():
        click.echo(f"  {column}: {count}")
