"""What every `allhands` command shares: settings, the core (built once, lazily), who acts from
the terminal, and one readable line for every failure."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click
from pydantic import ValidationError

from bot.config import Settings
from bot.core import Core
from bot.domain import Identity, Platform
from bot.errors import AllHandsError, DatabaseUnavailable, Invalid

EXIT_FAILED = 1
EXIT_CONFIG = 2


class ConfigError(Exception):
    """Configuration or schema that stops the command from starting at all."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "configuration"
        raise ConfigError(f"invalid configuration: {name}: {first['msg']}") from None


MakeCore = Callable[[Settings], Core]


class Context:
    """Built lazily, so `allhands --help` works without a database; `make_core` is the wiring
    place's (`app.build_core`)."""

    def __init__(self, make_core: MakeCore) -> None:
        self._make_core = make_core
        self._core: Core | None = None

    @property
    def settings(self) -> Settings:
        return self.core_unchecked.settings

    @property
    def core_unchecked(self) -> Core:
        if self._core is None:
            self._core = self._make_core(load_settings())
        return self._core

    @property
    def core(self) -> Core:
        """The core, refusing a database that is behind or ahead of this code."""
        core = self.core_unchecked
        problem = core.db.schema_problem()
        if problem:
            raise ConfigError(problem)
        return core


def cli_identity(email: str) -> Identity:
    """A person acting from the command line, known by email."""
    if "@" not in email:
        raise Invalid(f"--as takes an email address, got '{email}'", "as")
    return Identity(Platform.CLI, email.lower(), email.split("@", 1)[0], email.lower())


class AllHandsGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            _fail(str(error), EXIT_CONFIG)
        except AllHandsError as error:
            _fail(error.message, EXIT_FAILED)
        except DatabaseUnavailable as error:
            _fail(f"the database is unavailable ({error})", EXIT_FAILED)
        except FileNotFoundError as error:
            _fail(f"no such file: {error.filename}", EXIT_FAILED)


def _fail(message: str, code: int) -> None:
    click.echo(f"allhands: {message}", err=True)
    sys.exit(code)
