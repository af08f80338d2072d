"""``flask tokens create|list|revoke``: API tokens from the command line, for
operators (and for tests, until tokens can be made in the console)."""

from __future__ import annotations

import uuid

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts.scoping import NotInScope
from app.api.models import ApiToken
from app.api.tokens import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, issue_token, revoke_token, user_by_email
from app.extensions import db
from app.sources.validation import FieldError

tokens_cli = AppGroup("tokens", help="API tokens of staff users.")


@tokens_cli.command("create")
@click.option("--email", required=True, help="The staff user the token is for.")
@click.option("--name", required=True, help="What the token is for.")
@click.option(
    "--days",
    type=click.IntRange(1, MAX_TOKEN_DAYS),
    default=DEFAULT_TOKEN_DAYS,
    show_default=True,
    help="Lifetime in days.",
)
def create_command(email: str, name: str, days: int) -> None:
    """Create a token and print it once (the last line is the token alone)."""
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"no staff user with email {email}")
    try:
        issued = issue_token(user, name=name, days=days, via="cli")
    except FieldError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(
        f"Token {issued.token.id} for {user.email}, expires {issued.token.expires_at:%Y-%m-%d %H:%M} UTC.",
        err=True,
    )
    click.echo("It is shown only now; store it safely.", err=True)
    click.echo(issued.secret)


@tokens_cli.command("list")
@click.option("--email", required=True, help="The staff user whose tokens to list.")
def list_command(email: str) -> None:
    """List a user's tokens (never the secrets)."""
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"no staff user with email {email}")
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
    ):
        state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
        click.echo(f"{token.id}  {token.prefix}…  {state}  {token.name}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=click.UUID)
def revoke_command(token_id: uuid.UUID) -> None:
    """Revoke a token by its id."""
    try:
        token = revoke_token(None, token_id, via="cli")
    except NotInScope:
        raise click.ClickException(f"no token {token_id}") from None
    db.session.commit()
    click.echo(f"Token {token.id} revoked.")
