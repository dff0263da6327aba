"""The real server from app.py on each engine, with a clock the test moves."""

from __future__ import annotations

import pytest

from app import build_core
from bot.config import Settings
from bot.core import Core
from tests.handlers.conftest import auth, client, token
from tests.support import FakeClock

__all__ = ["auth", "client", "token"]


@pytest.fixture
def core(db_url: str, clock: FakeClock) -> Core:
    return build_core(Settings(ALLHANDS_DATABASE_URL=db_url), clock)
