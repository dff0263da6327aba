"""`allhands sources add|list|remove|test|replay`: where feedback arrives from."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from bot.errors import Invalid
from bot.ports.records import PollState, RawDelivery
from bot.ports.sources import PollFailed
from bot.sources.events import Arrived, FollowedUp, Revised, SourceEvent, Unusable
from bot.sources.kinds import SourceKind
from bot.sources.mailboxes import MailboxAddress
from bot.sources.polling import FIRST_REACH, POLL_EVERY, SourcePolling
from bot.sources.registry import SourceConfig
from handlers.cli.context import Context
from handlers.cli.store_access import FILE, STORE_OPTIONS, store_access
from handlers.jobs import source_polling
from handlers.mailboxes.imap import MailboxTrouble, waiting
from handlers.sources import generic
from handlers.sources.vendors import SIGNING, VendorParser, sample_for, vendor_for


@click.group()
def sources() -> None:
    """Helpdesks, surveys, mailboxes and app stores that feed All Hands."""


@sources.command("add")
@click.argument("kind", type=click.Choice([k.value for k in SourceKind]))
@click.argument("name")
@click.option("--secret", help="The secret the vendor signs with (made up when we choose it).")
@click.option(
    "--api-url",
    help="The vendor's API, e.g. https://SUBDOMAIN.zendesk.com (app stores: their own by default).",
)
@click.option("--api-token", help="Access to the vendor's API (Zendesk: EMAIL/token:TOKEN).")
@click.option("--url", help="A mailbox: imaps://USER:PASSWORD@HOST:PORT/FOLDER.")
@click.option("--app-id", help="App Store: the app's Apple ID (digits).")
@click.option("--key-id", help="App Store: the App Store Connect API key's id.")
@click.option("--issuer-id", help="App Store: the issuer id shown with the API keys.")
@click.option("--key-file", type=FILE, help="App Store: the API key (the .p8 file).")
@click.option("--package", help="Google Play: the app's package name (com.example.app).")
@click.option("--service-account", type=FILE, help="Google Play: the service account's JSON key.")
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
    /,
    kind: str,
    name: str,
    secret: str | None,
    api_url: str | None,
    api_token: str | None,
    url: str | None,
    maps: tuple[str, ...],
    **store: Any,
) -> None:
    """Register a source; prints the URL to paste into the vendor's settings."""
    options: dict[str, Any] = {
        key: value for key, value in (("api_url", api_url), ("url", url)) if value
    }
    if kind == SourceKind.JSON:
        options["map"] = generic.field_map(maps)
    elif maps:
        raise Invalid("--map is for json sources only.", "map")
    credentials = api_token
    if SourceKind(kind) in STORE_OPTIONS or any(store.values()):
        credentials, access = store_access(SourceKind(kind), api_token, store)
        options |= access
    added = ctx.core.sources.add(
        kind, name, secret=secret, credentials=credentials, options=options
    )
    click.echo(f"Source {name} ({kind}) added.")
    if added.url is not None:
        click.echo(f"url: {added.url}")
    if added.generated_secret is not None:
        click.echo(f"secret: {added.generated_secret}")
    if added.source.kind in SIGNING:
        click.echo(f"signing: {SIGNING[added.source.kind]}")
    if SourceKind(kind) in STORE_OPTIONS:
        click.echo(
            f"Polled every {POLL_EVERY.seconds // 60} min; the first poll reaches back "
            f"{FIRST_REACH.days} days. `allhands sources test {name}` polls once now."
        )


@sources.command("list")
@click.pass_obj
def sources_list(ctx: Context) -> None:
    polling = source_polling(ctx.core)
    for source in ctx.core.sources.all():
        url = ctx.core.sources.url_for(source) or "polled"
        if polling.polls(source):
            url = f"polled: {poll_status(polling.state(source.name))}"
        click.echo(f"{source.name}\t{source.kind}\t{url}")


def poll_status(state: PollState | None) -> str:
    if state is None or state.polled_at is None:
        return "not polled yet"
    when = f"{state.polled_at:%Y-%m-%d %H:%M} UTC"
    if state.error:
        return f"the poll at {when} failed: {state.error}"
    return f"last poll {when}"


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
    help="A delivery's body to read (default: the vendor's sample; an app store: one poll; "
    "a mailbox: log in and count what waits).",
)
@click.pass_obj
def sources_test(ctx: Context, name: str, payload: Path | None) -> None:
    """Read a delivery with the source's parser, storing nothing: what it would do. A polled
    source is polled once instead (an app store), or logged in to (a mailbox)."""
    source = ctx.core.sources.get(name)
    if source.kind is SourceKind.IMAP and payload is None:
        test_mailbox(ctx, source)
        return
    polling = source_polling(ctx.core)
    if polling.polls(source) and payload is None:
        poll_once(ctx, polling, source)
        return
    try:
        if polling.polls(source) and payload is not None:
            body, content_type = payload.read_bytes(), "application/json"  # one review
        else:
            vendor = vendor_for(source)
            body = payload.read_bytes() if payload else sample_for(source)
            content_type = vendor.sample_type
        events = read(ctx, source, "test", content_type, body)
    except Unusable as error:
        raise Invalid(f"{name} cannot read it: {error.reason}") from None
    for event in events:
        click.echo(describe(event))
    if not events:
        click.echo("Nothing for All Hands in it.")


def poll_once(ctx: Context, polling: SourcePolling, source: SourceConfig) -> None:
    """What the next poll would find and do, storing nothing."""
    try:
        since, found = asyncio.run(polling.fetch(source))
    except PollFailed as failed:
        raise Invalid(f"{source.name}: {failed.reason}") from None
    click.echo(f"{len(found)} changed since {since:%Y-%m-%d %H:%M} UTC (nothing stored):")
    for polled in sorted(found, key=lambda each: each.changed_at):
        try:
            events = read(ctx, source, polled.event_id, "application/json", polled.body)
        except Unusable as error:
            click.echo(f"{polled.event_id} cannot be read: {error.reason}")
            continue
        for event in events:
            click.echo(describe(event))


def test_mailbox(ctx: Context, source: SourceConfig) -> None:
    """Log in and count the messages waiting to be read, marking nothing."""
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


def read(
    ctx: Context, source: SourceConfig, event_id: str, content_type: str, body: bytes
) -> list[SourceEvent]:
    now = ctx.core.clock.now()
    delivery = RawDelivery(0, source.name, event_id, now, content_type, {}, body, "", None)
    return VendorParser().parse(source, delivery)


def describe(event: SourceEvent) -> str:
    """One line saying what a delivery would do."""
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
    if isinstance(event, Revised):
        latest = event.latest
        title = latest.title or latest.body.splitlines()[0]
        stars = f"{event.rating}★, " if event.rating else ""
        return (
            f"{event.what} {latest.key} ({stars}{latest.kind}, {latest.severity}): {title[:80]}"
            " — a new item, or the update of the one it made"
        )
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
