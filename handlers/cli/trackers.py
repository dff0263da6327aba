"""`allhands trackers add|list|remove`: the issue trackers whose webhooks say a fix shipped."""

from __future__ import annotations

import click

from bot.trackers.issues import TrackerKind
from handlers.cli.context import Context

# What to tick in each tracker's webhook settings.
EVENTS = {
    TrackerKind.GITHUB: "Issues (closed and reopened); content type application/json",
    TrackerKind.GITLAB: "Issues events; the secret as the webhook's secret token",
    TrackerKind.JIRA: "Issue updated; the secret as the webhook's secret",
    TrackerKind.LINEAR: "Issues; --secret is the signing secret Linear shows for the webhook",
}


@click.group()
def trackers() -> None:
    """Issue trackers (GitHub, GitLab, Jira, Linear) telling All Hands when a linked fix ships."""


@trackers.command("add")
@click.argument("kind", type=click.Choice([k.value for k in TrackerKind]))
@click.argument("name")
@click.option("--secret", required=True, help="The secret the tracker's webhook signs with.")
@click.pass_obj
def trackers_add(ctx: Context, kind: str, name: str, secret: str) -> None:
    """Register a tracker; prints the URL to paste into its webhook settings."""
    url = ctx.core.trackers.add(kind, name, secret)
    click.echo(f"Tracker {name} ({kind}) added.")
    click.echo(f"url: {url}")
    click.echo(f"events: {EVENTS[TrackerKind(kind)]}")


@trackers.command("list")
@click.pass_obj
def trackers_list(ctx: Context) -> None:
    for name, kind, url in ctx.core.trackers.listed():
        click.echo(f"{name}\t{kind}\t{url}")


@trackers.command("remove")
@click.argument("name")
@click.pass_obj
def trackers_remove(ctx: Context, name: str) -> None:
    """Forget a tracker: its webhook is refused from now on (links stay)."""
    ctx.core.trackers.remove(name)
    click.echo(f"Tracker {name} removed.")
