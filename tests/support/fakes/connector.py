"""A fake Bot Connector service on 127.0.0.1, plus the Bot Framework's token signing keys.

It runs in its own thread with its own event loop because botbuilder fetches the OpenID
metadata with blocking `requests` calls from inside the bot's loop. It records every call,
answers like the real service (`POST /v3/conversations/{id}/activities`, `PUT .../{activityId}`,
`POST /v3/conversations`, `GET .../members/{id}`), can be told to fail the next calls (429 with
Retry-After, 412, 502, 504, 403 MessageWritesBlocked), and checks that every call carries a
bearer token it signed for the bot.

With `emulator=True` it also lets calls without a token through, as the Bot Framework Emulator
does for a bot that has no app id (a malformed token is still refused).

Inbound, `authorization(activity)` signs a channel token exactly as the Bot Framework does
(issuer, audience = app id, `serviceurl` claim, endorsed key), so the real CloudAdapter checks
signature, issuer, audience and service URL against our published keys.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CHANNEL_ISSUER = "https://api.botframework.com"
CONNECTOR_AUDIENCE = "https://api.botframework.com"
KEY_ID = "fake-connector-key"


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # decoded, without the service URL's prefix, e.g. /v3/conversations/19:x/activities
    body: Any
    authorization: str


@dataclass
class _Failure:
    method: str
    status: int
    headers: dict[str, str]
    code: str


@dataclass
class FakeConnector:
    app_id: str = "00000000-0000-0000-0000-00000000a11d"
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    refused: list[Call] = field(default_factory=list)
    emulator: bool = False
    # What each activity says now, by its id: as posted, or as last updated in place.
    activities: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._instance = uuid.uuid4().hex
        self._failures: list[_Failure] = []
        self._next_id = 1000
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0

    # ---- lifecycle ------------------------------------------------------------------------

    @contextmanager
    def running(self) -> Iterator[FakeConnector]:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("fake connector did not start")
        try:
            yield self
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get(f"/openid/{self._instance}", self._openid)
        app.router.add_get("/keys", self._keys)
        app.router.add_route("*", "/{tail:.*}", self._connector)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    # ---- what tests use -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        """Stands in for https://smba.trafficmanager.net/amer/ in activities."""
        return f"{self.base_url}/amer/"

    @property
    def openid_metadata_url(self) -> str:
        # botbuilder caches signing keys by this URL for a day; a port can come back in a later
        # test with a new key, so every instance publishes under its own path.
        return f"{self.base_url}/openid/{self._instance}"

    def activity(self, activity: dict[str, Any]) -> dict[str, Any]:
        """A copy of a real activity whose serviceUrl points here."""
        return {**activity, "serviceUrl": self.service_url}

    def authorization(self, activity: dict[str, Any], **claims: Any) -> str:
        """The Authorization header the Bot Framework would send with this activity."""
        now = int(time.time())
        payload = {
            "iss": CHANNEL_ISSUER,
            "aud": self.app_id,
            "serviceurl": activity["serviceUrl"],
            "nbf": now - 10,
            "iat": now - 10,
            "exp": now + 3600,
            **claims,
        }
        return "Bearer " + self._sign(payload)

    def credentials_factory(self) -> ServiceClientCredentialsFactory:
        """Hands the bot tokens this fake signed, instead of asking Azure AD for them."""
        now = int(time.time())
        token = self._sign(
            {"iss": "fake-aad", "aud": CONNECTOR_AUDIENCE, "appid": self.app_id, "exp": now + 3600}
        )
        return _StaticCredentialsFactory(self.app_id, token)

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        code: str = "ServiceError",
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self._failures.extend(_Failure(method, status, headers, code) for _ in range(times))

    def add_member(self, user_id: str, aad_object_id: str, name: str, email: str) -> None:
        self.members[user_id] = {
            "id": user_id,
            "aadObjectId": aad_object_id,
            "name": name,
            "email": email,
            "userPrincipalName": email,
            "tenantId": "tenant",
            "userRole": "user",
        }

    def sent(self, method: str = "POST") -> list[Call]:
        """Activities the bot sent or updated (not member look-ups)."""
        return [c for c in self.calls if c.method == method and "/activities" in c.path]

    # ---- the service ----------------------------------------------------------------------

    def _sign(self, payload: dict[str, Any]) -> str:
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": KEY_ID})

    async def _openid(self, request: web.Request) -> web.Response:
        return web.json_response({"issuer": CHANNEL_ISSUER, "jwks_uri": f"{self.base_url}/keys"})

    async def _keys(self, request: web.Request) -> web.Response:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        return web.json_response(
            {"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]}]}
        )

    async def _connector(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        path = request.path.split("/v3/", 1)[-1]
        call = Call(request.method, "/v3/" + path, body, request.headers.get("Authorization", ""))
        if not self._authorized(call.authorization):
            self.refused.append(call)
            return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        self.calls.append(call)
        failure = self._take_failure(request.method)
        if failure is not None:
            error = {"error": {"code": failure.code, "message": f"fake {failure.status}"}}
            return web.json_response(error, status=failure.status, headers=failure.headers)
        return self._answer(request.method, path.split("/"), body)

    def _authorized(self, header: str) -> bool:
        if self.emulator and not header:
            return True
        try:
            claims = jwt.decode(
                header.removeprefix("Bearer "),
                self._key.public_key(),
                algorithms=["RS256"],
                audience=CONNECTOR_AUDIENCE,
            )
        except jwt.PyJWTError:
            return False
        return bool(claims.get("appid") == self.app_id)

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            for index, failure in enumerate(self._failures):
                if failure.method == method:
                    return self._failures.pop(index)
        return None

    def _answer(self, method: str, parts: list[str], body: Any) -> web.Response:
        # parts: ["conversations", id?, "activities"|"members", activityId|memberId?]
        if parts[-1] == "conversations" and method == "POST":
            return web.json_response({"id": f"a:new-{self._new_id()}", "activityId": "1"})
        if len(parts) >= 3 and parts[2] == "members":
            if len(parts) == 3:
                return web.json_response(list(self.members.values()))
            member = self.members.get(parts[3])
            if member is None:
                return web.json_response({"error": {"code": "MemberNotFound"}}, status=404)
            return web.json_response(member)
        if len(parts) >= 3 and parts[2] == "activities":
            activity_id = parts[3] if len(parts) > 3 and method == "PUT" else self._new_id()
            if method in ("POST", "PUT"):
                self.activities[activity_id] = body
            return web.json_response({"id": activity_id})
        return web.json_response({"error": {"code": "NotFound"}}, status=404)

    def _new_id(self) -> str:
        with self._lock:
            self._next_id += 1
            return str(1767765488000 + self._next_id)


class _StaticCredentials(AppCredentials):  # type: ignore[misc]
    def __init__(self, app_id: str, token: str) -> None:
        super().__init__(app_id=app_id, oauth_scope=CONNECTOR_AUDIENCE)
        self._token = token

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._token


class _StaticCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    def __init__(self, app_id: str, token: str) -> None:
        self._app_id = app_id
        self._token = token

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self._app_id

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        return _StaticCredentials(app_id, self._token)
