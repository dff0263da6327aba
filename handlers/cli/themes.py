"""`allhands themes`: what customers wrote about in a period, clustered by meaning."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import click

from bot.digest.period import local_midnight
from bot.errors import Invalid
from bot.signal.embedding import default_embedder
from bot.signal.report import PeriodTheme, period_themes
from handlers.cli.context import Context

DEFAULT_DAYS = 7


@click.command("themes")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help=f"First day of the period. Default: {DEFAULT_DAYS} days up to --until.",
)
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day of the period, included. Default: today in ALLHANDS_TIMEZONE.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
@click.pass_obj
def themes(ctx: Context, since: datetime | None, until: datetime | None, as_json: bool) -> None:
    """Themes of the period's feedback: label, size, change against the period before it (of
    equal length), and two example quotes."""
    core = ctx.core
    plan = core.digest.plan()
    last: date = until.date() if until else plan.today(core.clock.now())
    first: date = since.date() if since else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise Invalid(f"--since {first} is after --until {last}", "since")
    start = local_midnight(first, plan.zone)
    end = local_midnight(last + timedelta(days=1), plan.zone)
    found = period_themes(core.db, default_embedder(), core.clock, start, end)
    if as_json:
        click.echo(json.dumps({"themes": [_json(t) for t in found]}, indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo(f"No themes from {first} to {last}: fewer than two items share one.")
    for theme in found:
        click.echo(f"{theme.label} · {theme.size} items · {theme.change} on the period before")
        click.echo("".join(f"  “{quote}”\n" for quote in theme.examples), nl=False)


def _json(theme: PeriodTheme) -> dict[str, object]:
    return {
        "label": theme.label,
        "size": theme.size,
        "refs": list(theme.refs),
        "change": theme.change,
        "previous": theme.previous,
        "examples": list(theme.examples),
    }
