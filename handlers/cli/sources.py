"""`allhands sources add|list|remove|test|replay`: where feedback arrives from."""

from __future__ import annotations

from pathlib import Path

import click

from bot.errors import Invalid
from bot.ports.records import RawDelivery
from bot.sources.events import Arrived, FollowedUp, SourceEvent, Unusable
from bot.sources.kinds import SourceKind
from bot.sources.mailboxes import MailboxAddress
from bot.sources.registry import SourceConfig
from handlers.cli.context import Context
from handlers.mailboxes.imap import MailboxTrouble, waiting
from handlers.sources.base import Received
from handlers.sources.vendors import VendorParser, vendor_for


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
@click.pass_obj
def sources_add(
    ctx: Context,
    kind: str,
    name: str,
    secret: str | None,
    api_url: str | None,
    api_token: str | None,
    url: str | None,
) -> None:
    """Register a source; prints the URL to paste into the vendor's settings."""
    options = {key: value for key, value in (("api_url", api_url), ("url", url)) if value}
    added = ctx.core.sources.add(kind, name, secret=secret, credentials=api_token, options=options)
    click.echo(f"Source {name} ({kind}) added.")
    if added.url is not None:
        click.echo(f"url: {added.url}")
    if added.generated_secret is not None:
        click.echo(f"secret: {added.generated_secret}")


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
    """Read a delivery with the source's parser, storing nothing: what it would do. For a
    mailbox without --file: log in and count the messages waiting to be read."""
    source = ctx.core.sources.get(name)
    if source.kind is SourceKind.IMAP and payload is None:
        _test_mailbox(ctx, source)
        return
    vendor = vendor_for(source)
    body = payload.read_bytes() if payload else vendor.sample
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


def _test_mailbox(ctx: Context, source: SourceConfig) -> None:
    address, _ = MailboxAddress.parse(str(source.options.get("url", "")))
    position = ctx.core.mailboxes.position(source.name)
    try:
        folder, count = waiting(address, source.credentials or "", position)
    except MailboxTrouble as error:
        raise Invalid(f"{source.name} cannot read {address.url}: {error}") from None
    click.echo(
        f"{source.name}: logged in to {address.url}; {address.folder} holds "
        f"{folder.messages} messages, {count} waiting to be read."
    )


def describe(event: SourceEvent) -> str:
    """One line saying what a delivery would do."""
    if isinstance(event, Arrived):
        title = event.title or event.body.splitlines()[0]
        return f"new item {event.key}: {title} ({event.kind}, {event.severity})"
    if isinstance(event, FollowedUp):
        who = event.author or "someone"
        return f"comment on {' or '.join(event.refers_to)} by {who}: {event.text[:80]}"
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
