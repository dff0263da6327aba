"""The real server with Slack on (against the fake Web API), three claimers known to Slack, and
the trackers a module names registered with one secret."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.admin.secrets import new_key
from bot.core import Core
from handlers.chat import ChatAdapter
from handlers.server import chat_adapters
from tests.support.clock import FakeClock
from tests.support.core import make_core
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.slack import slack_settings
from tests.support.trackers import SECRET, add_claimers


@pytest.fixture
def trackers() -> dict[str, str]:
    """The trackers registered (name: kind); a module that needs others says so."""
    return {"gh": "github"}


@pytest.fixture
def core_settings(slack: FakeSlackApi) -> dict[str, Any]:
    add_claimers(slack)
    return slack_settings(slack) | {"ALLHANDS_SECRET_KEY": new_key()}


@pytest.fixture
def core(
    db_url: str, clock: FakeClock, core_settings: dict[str, Any], trackers: dict[str, str]
) -> Iterator[Core]:
    built = make_core(db_url, clock, **core_settings)
    for name, kind in trackers.items():
        built.trackers.add(kind, name, SECRET)
    yield built
    built.close()


@pytest.fixture
def adapters(core: Core) -> list[ChatAdapter]:
    return chat_adapters(core, dev=False)[0]
