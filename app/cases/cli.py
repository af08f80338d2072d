"""``flask clock due``: the statutory due date from the command line.

The due date is printed as ``YYYY-MM-DD`` on the last line; the lines before
it explain how it was reached. Bad input exits with status 2.
"""

from __future__ import annotations

from datetime import date

import click

from app.cases import clock


def _parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=what) from None


def _parse_pause(value: str) -> clock.Pause:
    asked, sep, answered = value.partition(":")
    if not sep:
        raise click.BadParameter(f"{value!r} is not FROM:TO (two dates, YYYY-MM-DD)", param_hint="--paused")
    first = _parse_date(asked, "--paused")
    last = _parse_date(answered, "--paused")
    if last < first:
        raise click.BadParameter(f"{value!r}: FROM ({first}) is after TO ({last})", param_hint="--paused")
    return clock.Pause(first, last)


@click.group("clock")
def clock_cli() -> None:
    """The statutory clock (UK GDPR Art 12(3))."""


@clock_cli.command("due")
@click.argument("received")
@click.option(
    "--identity-received", "identity_received", help="Day identity information arrived (YYYY-MM-DD)."
)
@click.option("--authority-received", "authority_received", help="Day proof of authority arrived.")
@click.option("--paused", "paused", multiple=True, metavar="FROM:TO", help="A pause, both days included.")
@click.option("--extended", is_flag=True, help="Extended by two further months.")
@click.option(
    "--nation",
    type=click.Choice(clock.NATIONS),
    default="england",
    show_default=True,
    help="Bank holidays of.",
)
def due_command(
    received: str,
    identity_received: str | None,
    authority_received: str | None,
    paused: tuple[str, ...],
    extended: bool,
    nation: str,
) -> None:
    """Print the due date for a request RECEIVED on a day (YYYY-MM-DD)."""
    inputs = clock.ClockInputs(
        received_on=_parse_date(received, "RECEIVED"),
        nation=nation,
        identity_received_on=_parse_date(identity_received, "--identity-received")
        if identity_received
        else None,
        authority_received_on=_parse_date(authority_received, "--authority-received")
        if authority_received
        else None,
        pauses=tuple(_parse_pause(value) for value in paused),
        extended=extended,
    )
    try:
        result = clock.compute(inputs)
    except (ValueError, OverflowError) as exc:
        raise click.UsageError(f"cannot compute a due date: {exc}") from None
    assert result.due is not None and result.unrolled_due is not None  # the CLI takes closed pauses only
    click.echo(f"start: {result.start.isoformat()}")
    for pause in clock.clipped_pauses(inputs):
        # Only the days from the start count; a pause before it adds nothing.
        click.echo(f"pause {pause.asked_on.isoformat()}:{pause.answered_on} counted only from the start")
    click.echo(f"paused days: {result.paused_days}")
    click.echo(f"extended: {'yes' if result.extended else 'no'}")
    click.echo(f"before rolling: {result.unrolled_due.isoformat()}")
    for day, reason in result.rolled_over:
        click.echo(f"rolled over {day.isoformat()} ({reason})")
    click.echo(result.due.isoformat())
