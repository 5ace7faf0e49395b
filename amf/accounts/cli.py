"""`flask amf create-organiser`: the first admin, and accounts made on the server."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from amf.accounts.models import Role
from amf.accounts.services import AccountError, create_user


@click.command("create-organiser")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.ORGANISER.value,
    show_default=True,
    help="admin: everything; organiser: events, agendas, registrations, mail; checkin: check-in.",
)
@click.option("--name", default="", help="The person's name, as shown in the audit log.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@with_appcontext
def create_organiser_command(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a back-office account; the password is prompted for (never an argument)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password, Role(role), name, actor="cli")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.role.label.lower()} account {user.email}.")
