"""What every `allhands` command shares: settings, the core (built once, lazily), who acts from
the terminal, and one readable line for every failure."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

import click
from pydantic import ValidationError

from bot.config import Settings
from bot.core import Core
from bot.domain import Identity, Platform
from bot.errors import AllHandsError, DatabaseUnavailable, Invalid, SetupError
from bot.validation import problems

EXIT_FAILED = 1
EXIT_CONFIG = 2


class ConfigError(Exception):
    """Configuration or schema that stops the command from starting at all."""


class UnreadableInput(Exception):
    """An argument the command cannot read at all (a URL that names no issue): exit 2, where a
    request the core refuses is 1."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        name, what = problems(error)[0]
        raise ConfigError(f"invalid configuration: {name or 'configuration'}: {what}") from None


MakeCore = Callable[[Settings], Core]


class Context:
    """Built lazily, so `allhands --help` works without a database; `make_core` is the wiring
    place's (`app.build_core`)."""

    def __init__(self, make_core: MakeCore) -> None:
        self._make_core = make_core
        self._settings: Settings | None = None
        self._core: Core | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def core_unchecked(self) -> Core:
        if self._core is None:
            self._core = self._make_core(self.settings)
        return self._core

    @property
    def debug(self) -> bool:
        """ALLHANDS_LOG_LEVEL=DEBUG asks for tracebacks too; asked of the environment when the
        settings themselves were the failure."""
        if self._settings is not None:
            return self._settings.log_level == "DEBUG"
        return os.environ.get("ALLHANDS_LOG_LEVEL", "").upper() == "DEBUG"

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
    """Every known failure ends in one line on stderr naming the problem and the fix: exit 2
    when the command could not start (settings, database, unreadable input), 1 when it was
    refused. The traceback only with ALLHANDS_LOG_LEVEL=DEBUG."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, UnreadableInput) as error:
            _fail(ctx, str(error), EXIT_CONFIG)
        except SetupError as error:
            _fail(ctx, error.message, EXIT_CONFIG)
        except AllHandsError as error:
            _fail(ctx, error.message, EXIT_FAILED)
        except DatabaseUnavailable as error:
            fix = "check that it runs and that ALLHANDS_DATABASE_URL is right"
            _fail(ctx, f"cannot reach the database ({error}): {fix}", EXIT_CONFIG)
        except FileNotFoundError as error:
            _fail(ctx, f"no such file: {error.filename}", EXIT_FAILED)


def _fail(ctx: click.Context, message: str, code: int) -> None:
    if isinstance(ctx.obj, Context) and ctx.obj.debug:
        traceback.print_exc()
    click.echo(f"allhands: {message}", err=True)
    sys.exit(code)
