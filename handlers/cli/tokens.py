"""`allhands token create|list|revoke|rotate`."""

from __future__ import annotations

import click

from bot.ports.records import TokenScope
from handlers.cli.context import Context
from handlers.item_json import rfc3339


@click.group()
def token() -> None:
    """API tokens for the ingest API."""


@token.command("create")
@click.option("--name", required=True, help="Who will use it, e.g. zendesk.")
@click.option(
    "--source",
    "sources",
    multiple=True,
    help="A source it may submit items of (repeat for more); none given: any source.",
)
@click.option("--read", is_flag=True, help="It may also read items and customers.")
@click.option("--lead", is_flag=True, help="A lead's: it may also erase a customer's data.")
@click.pass_obj
def token_create(ctx: Context, name: str, sources: tuple[str, ...], read: bool, lead: bool) -> None:
    """Create a token; it is printed once, on the last line. Without --read it may only
    submit; only a --lead token may erase a customer."""
    secret = ctx.core.tokens.create(name, sources, read=read, lead=lead)
    click.echo(f"Token '{name}' created. Store it now: it is not shown again.", err=True)
    click.echo(secret)


@token.command("list")
@click.pass_obj
def token_list(ctx: Context) -> None:
    """List tokens: names, dates and what each may do (never the tokens themselves)."""
    for info in ctx.core.tokens.all():
        state = f"revoked {rfc3339(info.revoked_at)}" if info.revoked_at else "active"
        created = rfc3339(info.created_at)
        click.echo(f"{info.name}\tcreated {created}\t{state}\t{_scope_text(info.scope)}")


def _scope_text(scope: TokenScope) -> str:
    """e.g. `sources=appstore,zendesk read`, `sources=any write-only` or `… read lead`."""
    sources = ",".join(sorted(scope.sources)) if scope.sources is not None else "any"
    lead = " lead" if scope.erase else ""
    return f"sources={sources} {'read' if scope.read else 'write-only'}{lead}"


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
    """Replace a token: the old one is refused from now on, the new one (allowed what the old
    one was) printed once, on the last line."""
    secret = ctx.core.tokens.rotate(name)
    click.echo(f"Token '{name}' rotated: the old one is revoked. Store this one now.", err=True)
    click.echo(secret)
