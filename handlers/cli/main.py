"""The `allhands` command: every sub-command registered here, explicitly, in one place."""

from __future__ import annotations

import click

from handlers.cli import (
    admin,
    customers,
    db,
    digest,
    feedback,
    importer,
    preview,
    server,
    sources,
    teams,
    themes,
    tokens,
    trackers,
)
from handlers.cli.context import AllHandsGroup, Context, MakeCore

COMMANDS: tuple[click.Command, ...] = (
    server.serve,
    server.work,
    db.db,
    tokens.token,
    importer.import_csv,
    feedback.feedback,
    digest.digest,
    preview.preview,
    teams.teams,
    admin.people,
    admin.routes,
    admin.config,
    admin.webhooks,
    admin.audit,
    sources.sources,
    themes.themes,
    trackers.trackers,
    customers.customer,
)


def build_cli(make_core: MakeCore) -> click.Group:
    """The `allhands` group; `make_core` builds the core from settings (the wiring place's)."""

    @click.group(cls=AllHandsGroup)
    @click.pass_context
    def cli(ctx: click.Context) -> None:
        """All Hands: customer feedback in Slack and Teams, worked by every employee."""
        ctx.obj = Context(make_core)

    for command in COMMANDS:
        cli.add_command(command)
    return cli
