"""`allhands preview card`: an item's card as Slack or Teams would receive it, with no
credentials, so it can be looked at (and checked) before either platform is set up.

The JSON goes to standard output, alone, so it can be piped or saved; the hint on where to
see it drawn (Block Kit Builder, the Adaptive Cards Designer) goes to standard error.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import click

from bot.core import Core
from bot.domain import Feedback
from handlers.cli.card_text import card_text
from handlers.cli.context import Context
from handlers.slack.blocks import card
from handlers.slack.people import stored_mentions
from handlers.teams.poster import channel_card
from handlers.teams.references import TeamsDirectory

BLOCK_KIT_BUILDER = "https://app.slack.com/block-kit-builder/#"
BUILDER_HINT = "Open it in Block Kit Builder (signed in to any Slack workspace):"
DESIGNER = "https://adaptivecards.microsoft.com/designer"
DESIGNER_HINT = (
    f"To see it as Teams draws it: open {DESIGNER}, select the host app Microsoft Teams, and "
    "paste this JSON into the card payload editor."
)


@click.group()
def preview() -> None:
    """See what All Hands would post, without posting it."""


@preview.command("card")
@click.argument("ref")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "slack", "teams"]),
    default="text",
    show_default=True,
    help="slack: the Block Kit blocks; teams: the Adaptive Card; text: for reading here.",
)
@click.pass_obj
def preview_card(ctx: Context, ref: str, fmt: str) -> None:
    """Show the card of item REF, such as FB-1, as it would be posted now."""
    core = ctx.core
    item = core.desk.shown(ref)  # as posted: personal data masked (the link goes to Slack)
    if fmt == "text":
        click.echo(card_text(item))
    elif fmt == "slack":
        message = slack_message(core, item)
        click.echo(_pretty(message))
        click.echo(f"{BUILDER_HINT}\n{block_kit_builder_link(message)}", err=True)
    else:
        click.echo(_pretty(channel_card(item, TeamsDirectory(core.db, core.clock))))
        click.echo(DESIGNER_HINT, err=True)


def slack_message(core: Core, item: Feedback) -> dict[str, Any]:
    """`{"blocks": [...]}`: the blocks the Slack poster sends, as Slack receives them."""
    blocks = card(item, stored_mentions(core.desk, item)).blocks
    return {"blocks": [block.to_dict() for block in blocks]}


def block_kit_builder_link(message: dict[str, Any]) -> str:
    """Block Kit Builder opens the message in its URL's fragment: URL-encoded JSON."""
    compact = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    return BLOCK_KIT_BUILDER + quote(compact, safe="")


def _pretty(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)
