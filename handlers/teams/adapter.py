"""The Teams adapter: botbuilder's CloudAdapter at POST /api/messages, built from Settings.

Every botbuilder type stays inside `handlers/teams/` (the Python SDK is in maintenance mode), so
replacing it touches this package only. With no app id the adapter is off; the unauthenticated
emulator mode runs only with `--dev`, because an empty app id makes botbuilder accept anyone.
The Bot Framework Emulator's conversations belong to no team, so in that mode cards go (without
ALLHANDS_TEAMS_CHANNEL) to the conversation that reached the bot last instead of a General channel.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botframework.connector.auth import (
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
)

from bot.commands.console import Console
from bot.config import Settings
from bot.core import Core
from bot.delivery.inbox import Handle
from bot.domain import Platform
from bot.ports.chat import ChatPoster
from handlers.bodies import BodyRefused, read_limited
from handlers.teams import signing_keys
from handlers.teams.bot import AllHandsBot
from handlers.teams.cards import Verb
from handlers.teams.people import TeamsPeople
from handlers.teams.poster import TeamsPoster
from handlers.teams.references import TeamsDirectory

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
BODY_LIMIT_BYTES = 1024 * 1024  # an activity is tens of KB; Teams caps messages near 100 KB
REACTION_ACTIONS = {
    "claim": Verb.CLAIM,
    "unclaim": Verb.UNCLAIM,
    "close": Verb.CLOSE,
    "reopen": Verb.REOPEN,
}
EMULATOR_WARNING = (
    "!!! Teams EMULATOR MODE: MicrosoftAppId is empty, so /api/messages accepts requests "
    "WITHOUT authentication and anyone who can reach it can act as anyone. Dev only. !!!"
)


class _BotConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings, openid_metadata_url: str | None) -> None:
        password = settings.teams_app_password
        self.APP_ID = settings.teams_app_id
        self.APP_PASSWORD = password.get_secret_value() if password else ""
        self.APP_TYPE = settings.teams_app_type
        self.APP_TENANTID = settings.teams_app_tenant_id
        if openid_metadata_url:
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = openid_metadata_url
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = (
                AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
            )
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = (
                AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
            )
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = (
                AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL
            )


class _Authentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """botbuilder's request checks and clients, with two fixes.

    Any failure to verify a request is a 401: botbuilder raises PermissionError (→ 401) for
    some bad tokens but lets others escape as a 500 (unknown key id, bad signature, expired or
    undecodable token). And the Connector and user-token clients are built once per bot and
    service URL instead of on every request, where each costs milliseconds of msrest setup
    and is never closed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connectors: dict[tuple[str | None, ...], Any] = {}
        self._token_clients: dict[str | None, Any] = {}

    async def authenticate_request(self, activity: Any, auth_header: str) -> Any:
        try:
            result = await super().authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except Exception as error:
            log.info("teams.unauthorized error=%s", type(error).__name__)
            raise PermissionError("request not authenticated") from error
        app_id = _app_id(result.claims_identity)
        result.connector_factory = _SharedConnectors(
            result.connector_factory, app_id, self._connectors
        )
        return result

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> Any:
        app_id = _app_id(claims_identity)
        if app_id not in self._token_clients:
            client = await super().create_user_token_client(claims_identity)
            self._token_clients[app_id] = client
        return self._token_clients[app_id]


class _SharedConnectors(ConnectorFactory):  # type: ignore[misc]
    def __init__(
        self, inner: ConnectorFactory, app_id: str | None, cache: dict[tuple[str | None, ...], Any]
    ) -> None:
        self._inner = inner
        self._app_id = app_id
        self._cache = cache

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        key = (self._app_id, service_url, audience)
        if key not in self._cache:
            self._cache[key] = await self._inner.create(service_url, audience)
        return self._cache[key]


def _app_id(claims_identity: ClaimsIdentity) -> str | None:
    value = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    return str(value) if value else None


def authentication(
    settings: Settings,
    *,
    openid_metadata_url: str | None = None,
    credentials_factory: ServiceClientCredentialsFactory | None = None,
) -> BotFrameworkAuthentication:
    """How requests are checked and tokens obtained: the public Azure cloud by default.

    The two keywords exist for a private cloud or a test double of the Bot Framework: where
    the channel's signing keys are published, and where the bot's own tokens come from.
    """
    signing_keys.install()
    return _Authentication(
        _BotConfig(settings, openid_metadata_url), credentials_factory=credentials_factory
    )


def parse_reactions(text: str) -> dict[str, Verb]:
    """`like=claim, heart=close` → {"like": CLAIM, "heart": CLOSE}."""
    mapping: dict[str, Verb] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        reaction, _, action = (part.strip().lower() for part in pair.partition("="))
        if not reaction or action not in REACTION_ACTIONS:
            raise ValueError(
                f"ALLHANDS_TEAMS_REACTIONS: '{pair}' is not reaction=action with an action "
                f"among {', '.join(REACTION_ACTIONS)}"
            )
        mapping[reaction] = REACTION_ACTIONS[action]
    return mapping


class TeamsAdapter:
    platform = Platform.TEAMS

    def __init__(
        self,
        core: Core,
        auth: BotFrameworkAuthentication,
        *,
        app_id: str,
        mode: str,
        reactions: dict[str, Verb] | None = None,
    ) -> None:
        self.mode = mode
        self._authenticated = bool(app_id)  # without an app id: the emulator, in dev only
        directory = TeamsDirectory(core.db, core.clock)
        default = directory.general_channel if app_id else directory.newest_conversation
        core.router.fallback.use_default(Platform.TEAMS, default)
        self._poster = TeamsPoster(auth, directory, app_id)
        self.poster: ChatPoster = self._poster  # the protocol's attribute is invariant
        self.handle_recorded: Handle | None = None  # Teams answers invokes with the change made
        console = Console(core.admin, core.router, lambda: core.digest.plan().zone, core.sources)
        self._bot = AllHandsBot(
            core.desk,
            core.replies,
            core.stories,
            console,
            directory,
            TeamsPeople(directory),
            reactions or {},
        )
        self._cloud = CloudAdapter(auth)
        self._cloud.on_turn_error = _log_turn_error

    @classmethod
    def from_settings(cls, settings: Settings, core: Core, *, dev: bool) -> TeamsAdapter | None:
        """The adapter the environment asks for, or None when Teams is off.

        Raises ValueError for settings that cannot work (the server refuses to start).
        """
        reactions = parse_reactions(settings.teams_reactions)
        app_id = settings.teams_app_id
        if not app_id:
            if not dev:
                return None
            log.warning(EMULATOR_WARNING)
            mode = (
                f"EMULATOR MODE, unauthenticated at POST {ROUTE} (dev only; set MicrosoftAppId "
                "for real use): connect the Bot Framework Emulator there, see docs/teams.md"
            )
            return cls(core, authentication(settings), app_id="", mode=mode, reactions=reactions)
        managed = settings.teams_app_type.lower() == "userassignedmsi"
        if settings.teams_app_password is None and not managed:
            raise ValueError("MicrosoftAppId is set but MicrosoftAppPassword is not")
        mode = f"on (app {app_id}, {settings.teams_app_type}) at POST {ROUTE}"
        return cls(core, authentication(settings), app_id=app_id, mode=mode, reactions=reactions)

    def mount(self, app: web.Application) -> None:
        app.router.add_post(ROUTE, self._messages)

    async def start(self, *, listen: bool = True) -> None:
        """Nothing to start: Teams calls us."""

    async def stop(self) -> None:
        await self._poster.close()

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        """Hand the request to botbuilder; a body that is not an activity is a 400.

        botbuilder reads the body before it checks the token, so anyone can send garbage, which
        would otherwise answer 500 with a traceback in the log.
        """
        if "Content-Type" not in request.headers:  # botbuilder looks it up unguarded
            raise web.HTTPUnsupportedMediaType(text="Send the activity as application/json.")
        if self._authenticated and not request.headers.get("Authorization", "").strip():
            return _refusal(401, "no Authorization header")  # before a byte of the body
        try:
            await read_limited(request, BODY_LIMIT_BYTES)  # botbuilder reads it from memory
        except BodyRefused as error:
            return _refusal(error.status, error.reason)
        try:
            response: web.StreamResponse = await self._cloud.process(request, self._bot)
        except (ValueError, RecursionError) as error:  # JSON, UTF-8 and msrest errors
            log.info("teams.bad_request error=%s", type(error).__name__)
            raise web.HTTPBadRequest(text="The body is not a Bot Framework activity.") from None
        return response


def _refusal(status: int, reason: str) -> web.Response:
    log.info("teams.refused status=%s reason=%s", status, reason)
    return web.json_response({"error": reason}, status=status)


async def _log_turn_error(context: TurnContext, error: Exception) -> None:
    activity: Any = context.activity
    log.error(
        "teams.turn_failed type=%s id=%s",
        activity.type,
        activity.id,
        exc_info=(type(error), error, error.__traceback__),
    )
