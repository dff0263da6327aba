"""`allhands db upgrade|current`."""

from __future__ import annotations

import click

from handlers.cli.main import Context
from storage.db import current_revision, head_revision, upgrade


@click.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(ctx: Context) -> None:
    """Migrate the database to this version of All Hands."""
    upgrade(ctx.settings.database_url)
    click.echo(f"database at revision {head_revision()}")


@db.command("current")
@click.pass_obj
def db_current(ctx: Context) -> None:
    """Show the database's revision and the one this code needs."""
    current = current_revision(ctx.core_unchecked.db.engine)
    click.echo(f"database: {current or 'empty'}; code: {head_revision()}")


COMMANDS = [db]
