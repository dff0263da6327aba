"""`allhands teams package`: the app zip to sideload into Teams or upload to the org catalogue."""

from __future__ import annotations

from pathlib import Path

import click

from bot.config import Settings
from handlers.cli.context import ConfigError, load_settings
from handlers.teams.package import write_package


@click.group()
def teams() -> None:
    """Microsoft Teams app."""


@teams.command("package")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the zip, e.g. allhands-teams.zip.",
)
@click.option("--website", help="https:// page for the app listing (default ALLHANDS_PUBLIC_URL).")
def teams_package(output: Path, website: str | None) -> None:
    """Write the Teams app package (manifest with this bot's MicrosoftAppId, and icons)."""
    settings: Settings = load_settings()
    try:
        write_package(output, settings.teams_app_id, website or settings.public_url)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    click.echo(f"wrote {output}: upload it in Teams under Apps > Manage your apps")
