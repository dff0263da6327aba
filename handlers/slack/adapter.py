"""The Slack adapter: a Bolt `AsyncApp` at POST /slack/events (events, interactivity, shortcuts
and the slash command share it), or over Socket Mode when an app-level token is set.

Two Web API clients: the one answering people (modals, ephemeral lines, look-ups) retries rate
limits and server errors itself, because someone is waiting; the outbox's poster retries
nothing itself, because the outbox keeps the message and waits as long as Slack asks.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import Console
from bot.config import Settings
from bot.domain import Platform
from bot.ports import ChatPoster
from bot.wiring import Core
from handlers.slack.actions import CardActions
from handlers.slack.commands import Commands
from handlers.slack.config import SettingsForm
from handlers.slack.events import Events
from handlers.slack.home import HomeTab
from handlers.slack.inbound import Inbound
from handlers.slack.people import SlackPeople
from handlers.slack.poster import SlackPoster
from handlers.slack.shortcuts import Shortcuts
from handlers.slack.submissions import Submissions

ROUTE = "/slack/events"


class SlackAdapter:
    platform = Platform.SLACK

    def __init__(
        self,
        core: Core,
        *,
        token: str,
        signing_secret: str,
        app_token: str | None = None,
        api_url: str = "https://slack.com/api/",
    ) -> None:
        self.mode = "Socket Mode" if app_token else f"HTTP at POST {ROUTE}"
        interactive = AsyncWebClient(
            token=token,
            base_url=api_url,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=2),
                AsyncServerErrorRetryHandler(max_retry_count=2),
            ],
        )
        outbound = AsyncWebClient(token=token, base_url=api_url, retry_handlers=[])
        people = SlackPeople(interactive, core.desk)
        self._poster = SlackPoster(outbound, people, core.clock)
        self.poster: ChatPoster = self._poster  # the protocol's attribute is invariant
        self.app = AsyncApp(
            client=interactive,
            signing_secret=signing_secret,
            request_verification_enabled=not app_token,
        )
        inbound = Inbound(core.desk, people, interactive)
        home = HomeTab(inbound, ZoneInfo(core.settings.timezone))
        console = Console(core.admin, core.router, lambda: core.digest.plan().zone)
        settings = SettingsForm(inbound, core.admin)
        for listeners in (
            CardActions(inbound, home),
            Submissions(inbound),
            Shortcuts(inbound),
            settings,
            Commands(inbound, console, settings),
            Events(inbound, home),
        ):
            listeners.register(self.app)
        self._app_token = app_token
        self._socket: AsyncSocketModeHandler | None = None

    @classmethod
    def from_settings(cls, settings: Settings, core: Core) -> SlackAdapter | None:
        """The adapter the environment asks for, or None when Slack is off.

        Raises ValueError for settings that cannot work (the server refuses to start).
        """
        if settings.slack_bot_token is None:
            return None
        app_token = (
            settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
        )
        secret = settings.slack_signing_secret
        if secret is None and app_token is None:
            raise ValueError(
                "SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not (or set SLACK_APP_TOKEN "
                "for Socket Mode)"
            )
        return cls(
            core,
            token=settings.slack_bot_token.get_secret_value(),
            signing_secret=secret.get_secret_value() if secret else "",
            app_token=app_token,
            api_url=settings.slack_api_url,
        )

    def mount(self, app: web.Application) -> None:
        if self._app_token is None:
            app.router.add_post(ROUTE, self._events)

    async def start(self) -> None:
        """In Socket Mode, connect (the handler needs the running loop, so it is made here)."""
        if self._app_token is not None:
            self._socket = AsyncSocketModeHandler(self.app, self._app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]

    async def _events(self, request: web.Request) -> web.Response:
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)
