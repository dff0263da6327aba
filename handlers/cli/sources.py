"""`allhands sources add|list|remove|test|replay`: where feedback arrives from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bot.errors import Invalid
from bot.ports.records import RawDelivery
from bot.sources.events import Arrived, FollowedUp, SourceEvent, Unusable
from bot.sources.kinds import SourceKind
from handlers.cli.context import Context
from handlers.sources import generic
from handlers.sources.base import Received
from handlers.sources.vendors import SIGNING, VendorParser, sample_for, vendor_for


@click.group()
def sources() -> None:
    """Helpdesks, surveys, mailboxes and app stores that feed All Hands."""


@sources.command("add")
@click.argument("kind", type=click.Choice([k.value for k in SourceKind]))
@click.argument("name")
@click.option("--secret", help="The secret the vendor signs with (made up when we choose it).")
@click.option("--api-url", help="The vendor's API, e.g. https://SUBDOMAIN.zendesk.com.")
@click.option("--api-token", help="Access to the vendor's API (Zendesk: EMAIL/token:TOKEN).")
@click.option("--url", help="A mailbox: imaps://USER:PASSWORD@HOST:PORT/FOLDER.")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="FIELD=PATH",
    help="json sources: where a field is in the payload, e.g. body=data.text (repeat).",
)
@click.pass_obj
def sources_add(
    ctx: Context,
    kind: str,
    name: str,
    secret: str | None,
    api_url: str | None,
    api_token: str | None,
    url: str | None,
    maps: tuple[str, ...],
) -> None:
    """Register a source; prints the URL to paste into the vendor's settings."""
    options: dict[str, Any] = {
        key: value for key, value in (("api_url", api_url), ("url", url)) if value
    }
    if kind == SourceKind.JSON:
        options["map"] = generic.field_map(maps)
    elif maps:
        raise Invalid("--map is for json sources only.", "map")
    added = ctx.core.sources.add(kind, name, secret=secret, credentials=api_token, options=options)
    click.echo(f"Source {name} ({kind}) added.")
    if added.url is not None:
        click.echo(f"url: {added.url}")
    if added.generated_secret is not None:
        click.echo(f"secret: {added.generated_secret}")
    if added.source.kind in SIGNING:
        click.echo(f"signing: {SIGNING[added.source.kind]}")


@sources.command("list")
@click.pass_obj
def sources_list(ctx: Context) -> None:
    for source in ctx.core.sources.all():
        url = ctx.core.sources.url_for(source) or "polled"
        click.echo(f"{source.name}\t{source.kind}\t{url}")


@sources.command("remove")
@click.argument("name")
@click.pass_obj
def sources_remove(ctx: Context, name: str) -> None:
    ctx.core.sources.remove(name)
    click.echo(f"Source {name} removed; its items stay.")


@sources.command("test")
@click.argument("name")
@click.option(
    "--file",
    "payload",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A delivery's body to read (default: the vendor's sample).",
)
@click.pass_obj
def sources_test(ctx: Context, name: str, payload: Path | None) -> None:
    """Read a delivery with the source's parser, storing nothing: what it would do."""
    source = ctx.core.sources.get(name)
    vendor = vendor_for(source)
    body = payload.read_bytes() if payload else sample_for(source)
    received = Received({}, body, vendor.sample_type)
    now = ctx.core.clock.now()
    delivery = RawDelivery(0, name, "test", now, received.content_type, {}, body, "", None)
    try:
        events = VendorParser().parse(source, delivery)
    except Unusable as error:
        raise Invalid(f"{name} cannot read it: {error.reason}") from None
    for event in events:
        click.echo(describe(event))
    if not events:
        click.echo("Nothing for All Hands in it.")


def describe(event: SourceEvent) -> str:
    """A line saying what a delivery would do (and a second for what it does instead when
    All Hands has no item for its conversation yet)."""
    if isinstance(event, Arrived):
        title = event.title or event.body.splitlines()[0]
        return f"new item {event.key}: {title} ({event.kind}, {event.severity})"
    if isinstance(event, FollowedUp):
        who = event.author or "someone"
        words = " ".join(event.text.split())[:80]
        said = f"comment on {' or '.join(event.refers_to)} by {who}: {words}"
        if event.otherwise is None:
            return said
        return f"{said}\n  (when All Hands has no item for it yet: {describe(event.otherwise)})"
    return f"status of {event.key}: {event.status}"


@sources.command("replay")
@click.argument("delivery_id", type=int)
@click.pass_obj
def sources_replay(ctx: Context, delivery_id: int) -> None:
    """Read a kept delivery again (after a parser fix) and do what it says."""
    applied = ctx.core.source_intake.apply(delivery_id, VendorParser())
    if applied.unusable:
        raise Invalid(f"delivery {delivery_id} still cannot be read: {applied.unusable}")
    click.echo(f"Delivery {delivery_id} applied: {', '.join(applied.refs) or 'nothing to do'}.")
