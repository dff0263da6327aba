"""The one way tests build a Core: `app.build_core`, as `allhands serve` does.

A test names the settings that matter to it by their environment names (SLACK_BOT_TOKEN, ...)
and, when time matters, the clock; everything else is the default an operator gets.
"""

from __future__ import annotations

from typing import Any

from app import build_core
from bot.config import Settings
from bot.core import Core
from bot.ports.clock import Clock


def make_core(db_url: str, clock: Clock | None = None, **settings: Any) -> Core:
    """The core over `db_url`, configured with `settings` (environment names)."""
    return build_core(Settings(ALLHANDS_DATABASE_URL=db_url, **settings), clock)
