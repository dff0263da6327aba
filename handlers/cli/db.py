"""`allhands db upgrade|current`."""

from __future__ import annotations

import click

from handlers.cli.context import Context


@click.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(ctx: Context) -> None:
    """Migrate the database to this version of All Hands."""
    store = ctx.core_unchecked.db
    store.upgrade()
    click.echo(f"database at revision {store.head()}")


@db.command("current")
@click.pass_obj
def db_current(ctx: Context) -> None:
    """Show the database's revision and the one this code needs."""
    store = ctx.core_unchecked.db
    click.echo(f"database: {store.revision() or 'empty'}; code: {store.head()}")
