"""``flask demo seed``: fill the stores with realistic synthetic school data."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.demo.login import current_demo_login
from app.demo.services import SeedOptions, SeedRefused, seed_demo, stores_empty

demo_cli = AppGroup("demo", help="Synthetic demo data.")


@demo_cli.command("seed")
@click.option("--pupils", type=click.IntRange(min=1), default=600, show_default=True,
              help="Pupils to create.")
@click.option("--schools", type=click.IntRange(min=1), default=4, show_default=True,
              help="Schools (besides nurseries and trusts); raised if the schools would be too large.")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed gives the same data.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The date the data runs up to (default today).")
@click.option("--reset", is_flag=True, help="Empty the stores first if they hold data.")
@click.option("--if-empty", is_flag=True, help="Do nothing (successfully) if the stores already hold data.")
@click.option("--force", is_flag=True, help="Allow seeding in production.")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="PostgreSQL: generating processes (default: one per CPU for large seeds).")
def seed_command(
    pupils: int, schools: int, seed: int, as_of, reset: bool, if_empty: bool, force: bool, workers: int | None
) -> None:
    """Create trusts, schools and nurseries with pupils, families, staff,
    attendance, assessments, SEND records, correspondence, helpdesk tickets
    and access logs, plus a demo admin login."""
    if if_empty and not stores_empty():
        click.echo("The stores already hold data; not seeding (--if-empty).")
        return
    options = SeedOptions(pupils=pupils, schools=schools, seed=seed, as_of=as_of.date() if as_of else None,
                          reset=reset, force=force, workers=workers)
    with click.progressbar(length=pupils, label="Seeding pupils", file=sys.stderr) as bar:
        try:
            result = seed_demo(options, progress=bar.update, stage=lambda _name: None)
        except SeedRefused as exc:
            click.echo(f"Refused: {exc}.", err=True)
            sys.exit(1)
    if result.also_emptied:
        click.echo(f"Also emptied (they referred to the stores): {', '.join(result.also_emptied)}")
    click.echo(f"Seeded {result.schools} schools and nurseries in {result.phases['total']:.1f}s:")
    for table, count in result.counts.items():
        click.echo(f"  {table:<24} {count:>12,}")
    click.echo("Demo login (admin):")
    click.echo(result.login.describe(), nl=False)
    if result.login_file:
        click.echo(f"(saved to {result.login_file}; `flask demo login` shows it again)")


@demo_cli.command("login")
def login_command() -> None:
    """Print the demo admin login (in development, made now if none is saved)."""
    login = current_demo_login()
    if login is None:
        click.echo("No demo login saved here; run `flask demo seed` first.", err=True)
        sys.exit(1)
    click.echo("Demo login (admin):")
    click.echo(login.describe(with_current_code=True), nl=False)
