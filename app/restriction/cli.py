"""``flask restriction lift-due [--dry-run]``: the daily lift, run by hand.

The periodic task ``restriction.lift_due`` does the same every day. There is
no ``--as-of``: the requester was told the day of the lift, and running as of
a later day would lift it before that day.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.restriction.lifting import due_restrictions, lift_due, today

restriction_cli = AppGroup("restriction", help="Art 18 restrictions.")


@restriction_cli.command("lift-due")
@click.option("--dry-run", is_flag=True, help="List what is due; change nothing.")
def lift_due_command(dry_run: bool) -> None:
    """Lift the restrictions whose day has come and whose requester was told."""
    if dry_run:
        for restriction in db.session.scalars(due_restrictions(today())):
            click.echo(f"would lift restriction {restriction.id} of case {restriction.case_id}")
        db.session.rollback()
        return
    try:
        lifted = lift_due()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    click.echo(f"{lifted} restriction(s) lifted")
