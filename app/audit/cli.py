"""``flask audit verify``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.audit.services import verify_chain

audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Check every event's hash and link; exit 1 at the first broken one."""
    report = verify_chain()
    if report.intact:
        click.echo(f"Audit chain intact: {report.checked} events checked.")
        return
    click.echo(
        f"Audit chain broken at event #{report.broken_seq} (id {report.broken_id}): {report.reason}. "
        f"{report.checked} events before it are intact.",
        err=True,
    )
    sys.exit(1)
