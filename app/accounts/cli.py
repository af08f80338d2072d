"""``flask users``: create, list, disable and unlock staff users, and reset
their second factor. For administrators with shell access to the service."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable

import click
from flask.cli import AppGroup

from app.accounts import invites, services
from app.accounts.invite_views import invite_link
from app.accounts.models import Role, User
from app.db import utcnow
from app.extensions import db

users_cli = AppGroup("users", help="Staff users of the console.")


def _find_or_exit(email: str) -> User:
    user = services.find_user_by_email(email)
    if user is None:
        click.echo(f"No user has the email address {email}.", err=True)
        sys.exit(1)
    return user


def _role_and_organisation(command: Callable[..., None]) -> Callable[..., None]:
    """The --role and --organisation options of a new member of staff."""
    command = click.option(
        "--organisation",
        "organisation",
        default=None,
        help="Organisation id (UUID) of a school user; a trust's id covers its schools.",
    )(command)
    return click.option(
        "--role",
        required=True,
        type=click.Choice([r.value for r in Role]),
        help="admin or caseworker (the company, every organisation) or school (one organisation).",
    )(command)


def _organisation_id_or_exit(organisation: str | None) -> uuid.UUID | None:
    if not organisation:
        return None
    try:
        return uuid.UUID(organisation)
    except ValueError:
        click.echo(f"--organisation: {organisation!r} is not an organisation id (a UUID).", err=True)
        sys.exit(2)


@users_cli.command("create")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option("--name", required=True, help="Full name, as shown in the console.")
@_role_and_organisation
@click.option(
    "--password",
    default=None,
    help="Initial password (prompted for, hidden, when left out; at least 12 characters).",
)
def create_command(email: str, name: str, role: str, organisation: str | None, password: str | None) -> None:
    """Create a staff user. They set up their authenticator app at first sign-in."""
    organisation_id = _organisation_id_or_exit(organisation)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(
            email=email, name=name, password=password, role=role, organisation_id=organisation_id
        )
    except services.AccountError as exc:
        db.session.rollback()
        click.echo(f"--{exc.field}: {exc.message}.", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} ({user.id}).")
    click.echo("They will set up an authenticator app the first time they sign in.")


@users_cli.command("invite")
@click.option("--email", required=True, help="Their email address: the invitation goes there.")
@click.option("--name", required=True, help="Full name, as shown in the console.")
@_role_and_organisation
def invite_command(email: str, name: str, role: str, organisation: str | None) -> None:
    """Invite a member of staff by email: they choose their password through
    the link, then set up an authenticator app when they first sign in."""
    organisation_id = _organisation_id_or_exit(organisation)
    try:
        user = invites.invite_user(email, name, role, None, invite_link, organisation_id=organisation_id).user
    except services.AccountError as exc:
        db.session.rollback()
        click.echo(f"--{exc.field}: {exc.message}.", err=True)
        sys.exit(1)
    db.session.commit()
    # The link is a password in all but name: it goes by email only, never to the terminal.
    click.echo(f"Invited {user.role.value} {user.email} ({user.id}).")
    click.echo(f"The invitation link has been emailed; it works once, within {invites.INVITE_HOURS} hours.")


@users_cli.command("list")
def list_command() -> None:
    """List every user with role, organisation and state."""
    users = services.list_users()
    if not users:
        click.echo("No users.")
        return
    now = utcnow()
    waiting = invites.waiting_invites()
    click.echo(f"{'EMAIL':<40} {'ROLE':<11} {'2FA':<4} {'STATE':<9} {'LAST SIGN-IN':<17} ORGANISATION")
    for user in users:
        state = invites.account_state(user, waiting, now=now)
        last = user.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if user.last_sign_in_at else "never"
        organisation = user.organisation.name if user.organisation else "-"
        two_factor = "yes" if user.has_second_factor else "no"
        click.echo(
            f"{user.email:<40} {user.role.value:<11} {two_factor:<4} {state:<9} {last:<17} {organisation}"
        )


@users_cli.command("disable")
@click.argument("email")
def disable_command(email: str) -> None:
    """Stop a user signing in and end their sessions."""
    user = _find_or_exit(email)
    services.disable_user(user)
    db.session.commit()
    click.echo(f"Disabled {user.email}; their sessions have ended.")


@users_cli.command("unlock")
@click.argument("email")
def unlock_command(email: str) -> None:
    """Lift a lockout after too many failed attempts."""
    user = _find_or_exit(email)
    services.unlock_user(user)
    db.session.commit()
    click.echo(f"Unlocked {user.email}.")


@users_cli.command("reset-2fa")
@click.argument("email")
def reset_two_factor_command(email: str) -> None:
    """Remove a user's authenticator app and recovery codes (for a lost phone);
    they set up a new one at their next sign-in, after their password."""
    user = _find_or_exit(email)
    services.reset_two_factor(user)
    db.session.commit()
    click.echo(
        f"Removed the authenticator app and recovery codes of {user.email}; "
        "they will set up a new one when they next sign in."
    )
