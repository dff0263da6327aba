"""Waits that are right for a running app and only slow a test down, shrunk.

Slack's one post per second per channel: a server test that waits for a card and its thread
notes would otherwise wait a real second per post into the channel. Tests about pacing itself
build their poster with their own `Pacer` (and a fake Slack that refuses posts that come too
fast), or are marked `real_pacing` to keep Slack's real interval.

PostgreSQL's signal listener looks whether it should stop once a second: every server test on
PostgreSQL would otherwise wait most of that second when it stops the server.
"""

from __future__ import annotations

import pytest

from handlers.slack import poster as slack_poster
from storage import signals

QUICK_POST_SECONDS = 0.01
QUICK_STOP_CHECK_SECONDS = 0.1
REAL_PACING = "real_pacing"


def quick_posts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink the Slack poster's interval, unless the test is marked `real_pacing`."""
    if request.node.get_closest_marker(REAL_PACING) is None:
        monkeypatch.setattr(slack_poster, "POST_INTERVAL_SECONDS", QUICK_POST_SECONDS)


def quick_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the signal listener see a stop within a tenth of a second."""
    monkeypatch.setattr(signals, "CHECK_STOP_SECONDS", QUICK_STOP_CHECK_SECONDS)
