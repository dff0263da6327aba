"""The Slack adapter: a Bolt `AsyncApp` at POST /slack/events (events, interactivity, shortcuts
and the slash command share it), or over Socket Mode when an app-level token is set.

Two Web API clients: the one answering people (modals, ephemeral lines, look-ups) retries rate
limits and server errors itself, because someone is waiting; the outbox's poster retries
nothing itself, because the outbox keeps the message and waits as long as Slack asks.
"""

from __future__ import annotations

import logging
import time
from zoneinfo import ZoneInfo

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands.console import Console
from bot.config import Settings
from bot.core import Core
from bot.delivery.inbox import Handle
from bot.domain import Platform
from bot.ports.chat import ChatPoster
from handlers.bodies import BodyRefused, read_limited
from handlers.slack.actions import CardActions
from handlers.slack.commands import Commands
from handlers.slack.config import SettingsForm
from handlers.slack.durable import durable_handlers
from handlers.slack.events import Events
from handlers.slack.home import HomeTab
from handlers.slack.inbound import Inbound
from handlers.slack.people import SlackPeople
from handlers.slack.poster import SlackPoster
from handlers.slack.shortcuts import Shortcuts
from handlers.slack.signature import refused_headers, signed
from handlers.slack.submissions import Submissions

ROUTE = "/slack/events"
BODY_LIMIT_BYTES = 1024 * 1024  # Slack's largest payloads (a modal's state) are far smaller
AFTER_ACK_GRACE_SECONDS = 10.0
OUTBOUND_TIMEOUT_SECONDS = 10  # a post that may have landed is checked before it is retried

log = logging.getLogger(__name__)


class _OwnClientsToken(logging.Filter):
    """Drops Bolt's "As you gave `client` as well, `token` will be unused." at every start.

    Bolt reads SLACK_BOT_TOKEN from the environment by itself whenever `token` is not passed,
    and warns when a `client` is passed too. No combination of its arguments avoids that while
    the variable is set: passing `token` warns the same way, and leaving out `client` makes
    Bolt warn that `authorize` ignores the token (and loses SLACK_API_URL). The adapter needs
    both its own client and `authorize`, so the token Bolt found is the one it already has.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_BOLT_LOG = logging.getLogger("slack_bolt.AsyncApp")  # the logger Bolt warns on
_BOLT_LOG.addFilter(_OwnClientsToken())


class BotAuthorization:
    """Who the bot is (`auth.test`), asked at start rather than on the first request.

    Bolt's own single-workspace check asks on the first request, before that request's ack, so
    a slow Slack would make the first acks after every start late.
    """

    def __init__(self, client: AsyncWebClient, token: str) -> None:
        self._client = client
        self._token = token
        self._result: AuthorizeResult | None = None

    async def result(self) -> AuthorizeResult:
        if self._result is None:
            answer = await self._client.auth_test()
            self._result = AuthorizeResult.from_auth_test_response(
                bot_token=self._token, auth_test_response=answer
            )
        return self._result

    async def prefetch(self) -> None:
        """Ask now; if Slack cannot answer yet, the first request asks again."""
        try:
            await self.result()
        except (SlackClientError, OSError, TimeoutError) as error:
            log.warning("slack.auth_test_failed error=%s", type(error).__name__)


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
        outbound = AsyncWebClient(
            token=token, base_url=api_url, retry_handlers=[], timeout=OUTBOUND_TIMEOUT_SECONDS
        )
        people = SlackPeople(interactive, core.desk)
        self._poster = SlackPoster(outbound, people, core.clock)
        self.poster: ChatPoster = self._poster  # the protocol's attribute is invariant
        self._authorization = authorization = BotAuthorization(interactive, token)

        async def authorize() -> AuthorizeResult:  # Bolt passes the arguments a function names
            return await authorization.result()

        self.app = AsyncApp(
            client=AsyncWebClient(base_url=api_url),  # Bolt's own; the token comes from authorize
            authorize=authorize,
            signing_secret=signing_secret,
            request_verification_enabled=False,  # `_events` checks it before Bolt parses
            process_before_response=True,  # listeners answer inline; the work goes to the inbox
            # or, for modals and commands, to `AfterAck`
        )
        inbound = Inbound(core.desk, people, interactive, core.inbox, core.replies)
        self.handle_recorded: Handle | None = inbound.handle_recorded
        self._after_ack = inbound.after_ack
        home = HomeTab(inbound, ZoneInfo(core.settings.timezone))
        console = Console(core.admin, core.router, lambda: core.digest.plan().zone, core.sources)
        settings = SettingsForm(inbound, console)
        actions, submissions, events, commands = (
            CardActions(inbound, home),
            Submissions(inbound),
            Events(inbound, home),
            Commands(inbound, console, settings),
        )
        inbound.durable.update(durable_handlers(actions, submissions, events, commands))
        for listeners in (actions, submissions, Shortcuts(inbound), settings, commands, events):
            listeners.register(self.app)
        self._app_token = app_token
        # HTTP mode only (Socket Mode has no signing secret, and no route to check)
        self._signing_secret = None if app_token else signing_secret
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

    async def start(self, *, listen: bool = True) -> None:
        """Learn who the bot is; in Socket Mode, connect (the handler needs the running loop)."""
        await self._authorization.prefetch()
        if self._app_token is not None and listen:
            self._socket = AsyncSocketModeHandler(self.app, self._app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]

    async def stop(self) -> None:
        """Stop taking requests (Socket Mode), then let the work already acked finish."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        await self._after_ack.drain(AFTER_ACK_GRACE_SECONDS)

    async def _events(self, request: web.Request) -> web.Response:
        """Check the signature (and its 5-minute window) first, then let Bolt parse and route.

        Headers that cannot be right are refused before the body is read; the body is read up
        to `BODY_LIMIT_BYTES` and only while it keeps coming. Bolt parses the body before its
        own check, so unsigned garbage would otherwise reach its parser.
        """
        assert self._signing_secret is not None, "the route is mounted in HTTP mode only"
        refused = refused_headers(request.headers, time.time())
        if refused is not None:
            return _refusal(401, refused)
        try:
            body = await read_limited(request, BODY_LIMIT_BYTES)
        except BodyRefused as error:
            return _refusal(error.status, error.reason)
        if not signed(self._signing_secret, request.headers, body):
            return _refusal(401, "invalid Slack signature")
        try:
            bolt_request = AsyncBoltRequest(
                body=body.decode(), query=request.query_string, headers=dict(request.headers)
            )
        except (ValueError, TypeError, RecursionError):  # signed by Slack, yet not a request
            return _refusal(400, "not a Slack request body")
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))


def _refusal(status: int, reason: str) -> web.Response:
    log.info("slack.refused status=%s reason=%s", status, reason)
    return web.json_response({"error": reason}, status=status)
