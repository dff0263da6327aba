"""`allhands token create|list|revoke|rotate`."""

from __future__ import annotations

import click

from handlers.cli.context import Context
from handlers.item_json import rfc3339


@click.group()
def token() -> None:
    """API tokens for the ingest API."""


@token.command("create")
@click.option("--name", required=True, help="Who will use it, e.g. zendesk.")
@click.pass_obj
def token_create(ctx: Context, name: str) -> None:
    """Create a token; it is printed once, on the last line."""
    secret = ctx.core.tokens.create(name)
    click.echo(f"Token '{name}' created. Store it now: it is not shown again.", err=True)
    click.echo(secret)


@token.command("list")
@click.pass_obj
def token_list(ctx: Context) -> None:
    """List tokens (names and dates only)."""
    for info in ctx.core.tokens.all():
        state = f"revoked {rfc3339(info.revoked_at)}" if info.revoked_at else "active"
        click.echo(f"{info.name}\tcreated {rfc3339(info.created_at)}\t{state}")


@token.command("revoke")
@click.argument("name")
@click.pass_obj
def token_revoke(ctx: Context, name: str) -> None:
    """Revoke a token by name; requests with it are refused from now on."""
    ctx.core.tokens.revoke(name)
    click.echo(f"Token '{name}' revoked.")


@token.command("rotate")
@click.argument("name")
@click.pass_obj
def token_rotate(ctx: Context, name: str) -> None:
    """Replace a token: the old one is refused from now on, the new one printed once, on the
    last line."""
    secret = ctx.core.tokens.rotate(name)
    click.echo(f"Token '{name}' rotated: the old one is revoked. Store this one now.", err=True)
    click.echo(secret)
