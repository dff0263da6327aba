"""The `allhands` command line."""

from handlers.cli.main import cli

__all__ = ["cli"]
