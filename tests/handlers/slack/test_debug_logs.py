"""With ALLHANDS_LOG_LEVEL=DEBUG, a card posted to Slack leaves the customer's words out of the
logs: slack_sdk would log every `chat.postMessage` with its text and blocks at DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator

import pytest

from handlers.observability import PAYLOAD_LOGGERS, JsonFormatter, configure_logging
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.slack_payloads import CARDS

CUSTOMER_WORDS = "my parcel to Tromso arrived crushed"


@pytest.fixture
def app_logs() -> Iterator[list[logging.LogRecord]]:
    """Logging as `allhands serve` sets it up at DEBUG; every record it lets through."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, [logging.getLogger(n).level for n in PAYLOAD_LOGGERS]
    root.handlers.clear()  # `serve` starts with none; a handler here would stop basicConfig
    configure_logging("DEBUG", "json")
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root.addHandler(Collect())
    yield records
    root.handlers[:], level, library_levels = saved
    root.setLevel(level)
    for name, library_level in zip(PAYLOAD_LOGGERS, library_levels, strict=True):
        logging.getLogger(name).setLevel(library_level)


async def test_a_card_posted_at_debug_leaves_no_customer_words_in_the_logs(
    app_logs: list[logging.LogRecord],
    ingest: Callable[..., Awaitable[tuple[str, str]]],
    slack: FakeSlackApi,
) -> None:
    await ingest(CUSTOMER_WORDS)

    assert CUSTOMER_WORDS in str(slack.cards(CARDS)[-1].blocks)  # the card really carried them
    assert [r for r in app_logs if r.levelno == logging.DEBUG]  # DEBUG really is on
    lines = [JsonFormatter().format(record) for record in app_logs]
    assert [line for line in lines if "Tromso" in line] == []
