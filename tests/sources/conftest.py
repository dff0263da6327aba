"""The real server with Slack on (against the fake Web API) and sources sealed with a key, and
the email vendors' ways of posting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.admin.secrets import new_key
from bot.core import Core
from handlers.chat import ChatAdapter
from handlers.server import chat_adapters
from tests.support.email import encode_multipart, mailgun_sign
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.slack import slack_settings


@pytest.fixture
def core_settings(slack: FakeSlackApi) -> dict[str, Any]:
    return slack_settings(slack) | {"ALLHANDS_SECRET_KEY": new_key()}


@pytest.fixture
def adapters(core: Core) -> list[ChatAdapter]:
    return chat_adapters(core, dev=False)[0]


@pytest.fixture
def multipart() -> Callable[..., tuple[bytes, str]]:
    return encode_multipart


@pytest.fixture
def mailgun_signed() -> Callable[..., dict[str, str]]:
    return mailgun_sign
