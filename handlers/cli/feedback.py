"""`allhands feedback list|search|show|claim|unclaim|close|reopen|link|reply|reply-retry|split|
merge`, acting as a named person."""

from __future__ import annotations

import json

import click

from bot.domain import Customer, Feedback, State, holder_name
from bot.errors import Invalid
from bot.ports.records import ListFilter
from bot.service import Outcome
from bot.signal.search import RANKED
from bot.trackers.issues import issue_at, link_line
from handlers.cli.context import Context, UnreadableInput, cli_identity
from handlers.item_json import item_json, rfc3339

AS_OPTION = click.option(
    "--as", "as_email", required=True, metavar="EMAIL", help="Act as this person."
)


@click.group()
def feedback() -> None:
    """Work feedback items from the terminal."""


def _line(item: Feedback) -> str:
    holder = f" · {holder_name(item.claimed.person)}" if item.claimed else ""
    title = item.title or item.body.splitlines()[0]
    return f"{item.ref}\t{item.state.value}{holder}\t{item.severity.value}\t{title[:80]}"


def _print(items: list[Feedback], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([item_json(i) for i in items], indent=2))
    for item in [] if as_json else items:
        click.echo(_line(item))


def _report(outcome: Outcome, verb: str) -> None:
    if outcome.changed:
        click.echo(f"{outcome.item.ref} {verb}.")
    else:
        click.echo(f"{outcome.item.ref}: nothing to do, it was {verb} already.")


@feedback.command("list")
@click.option("--state", type=click.Choice([s.value for s in State]))
@click.option("--source")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def feedback_list(
    ctx: Context, state: str | None, source: str | None, limit: int, as_json: bool
) -> None:
    """List items (oldest first)."""
    where = ListFilter(state=State(state) if state else None, source=source, limit=limit)
    items = ctx.core.desk.search(where)
    _print(items, as_json)


@feedback.command("search")
@click.argument("words", nargs=-1)
@click.option("--state", type=click.Choice([s.value for s in State]))
@click.option("--source")
@click.option("--limit", type=click.IntRange(1, RANKED), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def feedback_search(
    ctx: Context,
    words: tuple[str, ...],
    state: str | None,
    source: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Items that say WORDS, in these or other words (best match first)."""
    where = ListFilter(state=State(state) if state else None, source=source, limit=limit)
    items = ctx.core.desk.search_text(" ".join(words), where)
    _print(items, as_json)


@feedback.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def feedback_show(ctx: Context, ref: str, as_json: bool) -> None:
    """One item with its discussion."""
    item = ctx.core.desk.get(ref)
    if as_json:
        click.echo(json.dumps(item_json(item, with_comments=True), indent=2))
        return
    click.echo(_line(item))
    for label, value in _facts(item):
        click.echo(f"{label}: {value}")
    click.echo(item.body)
    for comment in item.comments:
        click.echo(f"  {comment.author.name} ({comment.platform.value}): {comment.text}")
    for reply in item.replies:
        why = f": {reply.error}" if reply.error else ""
        click.echo(f"  reply by {reply.by.name} ({reply.channel}) {reply.status.value}{why}")


def _facts(item: Feedback) -> list[tuple[str, str]]:
    """What someone working the item asks first: what it is, where it came from, who said it,
    and how it ended. Labels only for what the item has."""
    origin = " ".join(filter(None, [item.source, item.external_id]))
    facts = [
        ("kind", f"{item.kind.value}, severity {item.severity.value}"),
        ("source", f"{origin}, received {rfc3339(item.received_at)}"),
    ]
    customer = _customer(item.customer)
    if customer:
        facts.append(("customer", customer))
    if item.tags or item.product_area:
        facts.append(("tags", ", ".join([*item.tags, *filter(None, [item.product_area])])))
    if item.url:
        facts.append(("url", item.url))
    if item.closed:
        closer = holder_name(item.closed.person)
        facts.append(
            ("closed", f"by {closer} ({item.closed.platform.value}) {rfc3339(item.closed.at)}")
        )
        facts.append(("resolution", item.resolution or "(none given)"))
    facts += [("fix", f"{link_line(link)} ({link.url})") for link in item.links]
    return facts


def _customer(customer: Customer) -> str:
    who = " ".join(filter(None, [customer.name, f"<{customer.email}>" if customer.email else None]))
    at = ", ".join(filter(None, [customer.company, customer.tier]))
    return f"{who} ({at})" if who and at else who or at


NOTE_OPTION = click.option("--note", help="Added to the discussion (for close: the resolution).")


def _act(ctx: Context, ref: str, as_email: str, note: str | None, verb: str) -> None:
    desk, who = ctx.core.desk, cli_identity(as_email)
    if verb == "closed":
        outcome = desk.close(ref, who, note)
    else:
        change = {"claimed": desk.claim, "unclaimed": desk.unclaim, "reopened": desk.reopen}[verb]
        outcome = change(ref, who)
        if note:
            desk.comment(ref, who, note)
    _report(outcome, verb)


@feedback.command("claim")
@click.argument("ref")
@AS_OPTION
@NOTE_OPTION
@click.pass_obj
def feedback_claim(ctx: Context, ref: str, as_email: str, note: str | None) -> None:
    """Take an item: you are the one helping this customer now."""
    _act(ctx, ref, as_email, note, "claimed")


@feedback.command("unclaim")
@click.argument("ref")
@AS_OPTION
@NOTE_OPTION
@click.pass_obj
def feedback_unclaim(ctx: Context, ref: str, as_email: str, note: str | None) -> None:
    """Give an item back to the queue."""
    _act(ctx, ref, as_email, note, "unclaimed")


@feedback.command("close")
@click.argument("ref")
@AS_OPTION
@NOTE_OPTION
@click.option("--tell", is_flag=True, help="Send the resolution (--note) to the customer too.")
@click.pass_obj
def feedback_close(ctx: Context, ref: str, as_email: str, note: str | None, tell: bool) -> None:
    """Close an item; --note is the resolution (what was done for the customer), and --tell
    sends it to them as a reply."""
    if not tell:
        _act(ctx, ref, as_email, note, "closed")
        return
    closed = ctx.core.replies.close(ref, cli_identity(as_email), note, tell=True)
    _report(closed.outcome, "closed")
    if closed.told:
        click.echo(closed.told)


@feedback.command("reopen")
@click.argument("ref")
@AS_OPTION
@NOTE_OPTION
@click.pass_obj
def feedback_reopen(ctx: Context, ref: str, as_email: str, note: str | None) -> None:
    """Reopen a closed item."""
    _act(ctx, ref, as_email, note, "reopened")


@feedback.command("link")
@click.argument("ref")
@click.argument("url")
@AS_OPTION
@click.pass_obj
def feedback_link(ctx: Context, ref: str, url: str, as_email: str) -> None:
    """Link the GitHub, GitLab, Jira or Linear issue that fixes the item: when its tracker says
    the issue closed, the card says the fix shipped and its claimer hears of it."""
    try:
        issue_at(url)
    except Invalid as error:
        raise UnreadableInput(error.message) from None
    _report(ctx.core.desk.link(ref, cli_identity(as_email), url), "linked")


@feedback.command("reply")
@click.argument("ref")
@AS_OPTION
@click.option("--text", required=True, help="What the customer reads.")
@click.pass_obj
def feedback_reply(ctx: Context, ref: str, as_email: str, text: str) -> None:
    """Answer the customer through the item's source (an email, threaded, from the support
    address; a helpdesk's reply; an app review's response); the outbox sends it."""
    sent = ctx.core.replies.reply(ref, cli_identity(as_email), text)
    click.echo(f"{sent.item.ref}: reply queued to {sent.to} ({sent.message_id}).")


@feedback.command("reply-retry")
@click.argument("ref")
@AS_OPTION
@click.pass_obj
def feedback_reply_retry(ctx: Context, ref: str, as_email: str) -> None:
    """Send the item's last refused reply again, with the same Message-ID or marker."""
    sent = ctx.core.replies.retry(ref, cli_identity(as_email))
    click.echo(f"{sent.item.ref}: reply queued again ({sent.message_id}).")


def _said(changed: bool, done: str, already: str) -> None:
    click.echo(done if changed else f"{already}: nothing to do")


@feedback.command("split")
@click.argument("ref")
@AS_OPTION
@click.pass_obj
def feedback_split(ctx: Context, ref: str, as_email: str) -> None:
    """ "Not the same problem": take a repeat off the card it joined; it gets its own card."""
    outcome = ctx.core.desk.split(ref, cli_identity(as_email))
    ref = outcome.item.ref
    _said(outcome.changed, f"{ref} has a card of its own now.", f"{ref} has its own card already")


@feedback.command("merge")
@click.argument("ref")
@click.argument("into_ref")
@AS_OPTION
@click.pass_obj
def feedback_merge(ctx: Context, ref: str, into_ref: str, as_email: str) -> None:
    """Merge REF's card into INTO_REF's: every customer, comment and event is kept."""
    outcome = ctx.core.desk.merge(ref, into_ref, cli_identity(as_email))
    ref, into = ref.upper(), outcome.item.ref
    _said(outcome.changed, f"{ref} merged into {into}.", f"{ref} is on {into}'s card already")
