"""`allhands digest preview|send`: look at a day's digest, or send it now."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import click

from bot.core import Core
from bot.digest.build import build_digest
from bot.digest.chart import render_chart
from bot.digest.delivery import Target
from bot.digest.model import Digest, FixLoop
from bot.digest.render import digest_json, digest_text
from bot.errors import Invalid
from handlers.cli.context import Context
from handlers.jobs import digest_sender, issue_values
from handlers.slack.digest_blocks import digest_message
from handlers.teams.digest_card import digest_card

DATE_OPTION = click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The digest's date: the morning it goes out (it covers the day or days before). "
    "Default: today in ALLHANDS_TIMEZONE.",
)
DOCUMENTS = {"json": digest_json, "slack": digest_message, "teams": digest_card}


@click.group()
def digest() -> None:
    """The daily voice-of-the-customer digest."""


def _day(core: Core, day: datetime | None) -> date:
    return day.date() if day else core.digest.plan().today(core.clock.now())


@digest.command("preview")
@DATE_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", *DOCUMENTS, "png"]),
    default="text",
    show_default=True,
    help="png is the chart.",
)
@click.option("--exec", "brief", is_flag=True, help="The shorter variant executives get.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.pass_obj
def digest_preview(
    ctx: Context, day: datetime | None, fmt: str, brief: bool, output: Path | None
) -> None:
    """Show a digest without posting it anywhere."""
    if fmt == "png" and output is None and sys.stdout.isatty():
        raise Invalid(
            "--format png is an image, not for a terminal: add --output chart.png, or redirect "
            "it (> chart.png)",
            "output",
        )
    core = ctx.core
    built = build_digest(core.db, core.digest.plan(), _day(core, day), core.clock.now())
    built = replace(built, fixes=asyncio.run(_weighed(core, built.fixes)))
    shown = built.brief() if brief else built
    data = render_chart(shown).sharp if fmt == "png" else _render(fmt, shown).encode()
    if output:
        output.write_bytes(data)
        return
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


async def _weighed(core: Core, fixes: FixLoop) -> FixLoop:
    """The open issues' account values, as the sent digest has them; the look-up's
    connection is closed before this command's loop ends."""
    try:
        return await issue_values(core).weighed(fixes)
    finally:
        await core.stories.accounts.close()


def _render(fmt: str, shown: Digest) -> str:
    if fmt == "text":
        return digest_text(shown) + "\n"
    return json.dumps(DOCUMENTS[fmt](shown), indent=2, ensure_ascii=False) + "\n"


@digest.command("send")
@DATE_OPTION
@click.option(
    "--to",
    multiple=True,
    metavar="TARGET",
    help="slack:CHANNEL, teams:CONVERSATION or an email (a direct message on both platforms); "
    "repeatable. Default: the digest channels and every executive.",
)
@click.option("--force", is_flag=True, help="Send again to targets that had this digest.")
@click.pass_obj
def digest_send(ctx: Context, day: datetime | None, to: tuple[str, ...], force: bool) -> None:
    """Send a digest now; a target that already had it is skipped unless --force."""
    core = ctx.core
    targets = [t for text in to for t in Target.parse(text)] or core.digest.targets()
    if not targets:
        raise Invalid(
            "Nowhere to send: set ALLHANDS_DIGEST_SLACK_CHANNELS, ALLHANDS_DIGEST_TEAMS_CHANNELS "
            "or ALLHANDS_EXECS, or name targets with --to.",
            "to",
        )
    sender = digest_sender(core, "cli", core.digest.plan())
    for result in asyncio.run(sender.send(_day(core, day), targets, force=force)):
        click.echo(f"{result.target.key}\t{result.status}")
