"""The real server under test: in this process with both chat platforms on, or as a process of
its own (`python app.py serve`) that a test may kill, signal and start again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from bot.core import Core
from handlers.chat import ChatAdapter
from handlers.slack.adapter import SlackAdapter
from tests.support.databases import free_port
from tests.support.eventually import eventually
from tests.support.fakes.connector import FakeConnector
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.slack import slack_settings
from tests.support.slack_payloads import CARDS, SECRET
from tests.support.teams import teams_adapter, teams_settings

APP = Path(__file__).resolve().parents[2] / "app.py"


def both_platforms(slack: FakeSlackApi, connector: FakeConnector) -> dict[str, Any]:
    """Settings with Slack (against the fake Web API) and Teams (against the fake Bot
    Connector) both on."""
    return slack_settings(slack) | teams_settings(connector)


def both_adapters(core: Core, connector: FakeConnector) -> list[ChatAdapter]:
    """Slack's adapter as `allhands serve` builds it, and the real CloudAdapter for Teams
    trusting the fake connector's keys."""
    slack_adapter = SlackAdapter.from_settings(core.settings, core)
    assert slack_adapter is not None
    return [slack_adapter, teams_adapter(core, connector)]


class ServerProcess:
    """`python app.py serve` (or another verb) in a process of its own, which the test may kill
    or stop."""

    def __init__(
        self,
        db_url: str,
        slack_api_url: str,
        workdir: Path,
        verb: Sequence[str] = ("serve",),
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self._verb = verb
        self.url = f"http://127.0.0.1:{self.port}"
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("ALLHANDS_", "SLACK_", "Microsoft", "MICROSOFT"))
        }
        self._env = inherited | {
            "ALLHANDS_DATABASE_URL": db_url,
            "ALLHANDS_HOST": "127.0.0.1",
            "ALLHANDS_PORT": str(self.port),
            "ALLHANDS_SLACK_CHANNEL": CARDS,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_api_url,
            # as the test's own core has it (tests/conftest.py turns repeats off by default)
            "ALLHANDS_REPEATS": os.environ.get("ALLHANDS_REPEATS", "true"),
        }
        self._workdir = workdir  # not the project root, whose .env would be read
        self._log = workdir / f"{verb[0]}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(APP), *self._verb],
                env=self._env,
                cwd=self._workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def ready(self) -> None:
        """Wait until /healthz answers 200."""
        async with aiohttp.ClientSession() as session:

            async def healthy() -> bool:
                assert self.running, f"the server exited:\n{self.output()}"
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        return response.status == 200
                except aiohttp.ClientConnectionError:
                    return False

            await eventually(healthy, what=lambda: f"the server to start:\n{self.output()}")

    async def printed(self, line: str) -> None:
        """Wait until the process has printed `line` (a process with no routes to ask)."""

        def seen() -> bool:
            assert self.running, f"the process exited:\n{self.output()}"
            return line in self.output()

        await eventually(seen, what=lambda: f"{line!r} printed:\n{self.output()}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    async def exited(self) -> int:
        """The exit status, once the process has ended."""
        process = self.process
        assert process is not None
        await eventually(
            lambda: process.poll() is not None, what=lambda: f"the exit:\n{self.output()}"
        )
        return process.returncode

    def kill(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.kill()
            self.process.wait(10)

    def output(self) -> str:
        return self._log.read_text(errors="replace")
