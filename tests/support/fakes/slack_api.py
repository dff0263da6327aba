"""A fake Slack Web API: a real aiohttp server on 127.0.0.1 that the real slack_sdk client talks to.

It records every call as (method, args), answers as the workspace it holds would
(slack_workspace.py), and can be told to misbehave: answer 429 with a `Retry-After`, fail with
a 500 *after* doing the work (a response lost on the way back), or answer late (`hold`, until a
time or until `release`); each call's time is recorded. `limit_per_channel` holds every channel
to Slack's one post per second, answering 429 to a post that comes sooner.
Point a client at it with `base_url=fake.api_url` (SLACK_API_URL). `response_url`s and file
uploads go to the same server, so a test sees those too, and so does Socket Mode: the URL
`apps.connections.open` gives leads to the fake's WebSocket, where `send_over_socket` delivers
an envelope and each frame the app sends back is recorded as a "socket.ack" call.

    async with FakeSlackApi() as slack: ...        # inside a test's event loop
    with FakeSlackApi().running() as slack: ...    # on its own thread, for benchmarks
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.eventually import eventually
from tests.support.fakes.slack_workspace import SlackWorkspace

# Arguments Slack sends form-encoded as JSON strings; the fake hands tests real objects.
JSON_ARGUMENTS = {"blocks", "attachments", "view", "metadata", "files"}


@dataclass(frozen=True)
class Call:
    method: str
    args: dict[str, Any]
    at: float = 0.0  # when it came, on the fake's clock (`now`)


@dataclass
class Fault:
    """Misbehave on the next `times` calls of `method`."""

    method: str
    status: int
    times: int
    retry_after: int | None = None
    after_effect: bool = False  # do the work, then fail: the caller never learns it worked


@dataclass
class Hold:
    """Keep the next `times` calls of `method` ("*": any; to `channel` only, if given) waiting
    `seconds` (None: until `release` or the fake closes) before the work; `after_effect`: after
    it (done, but the answer is late). A call still held when the fake closes is never done."""

    method: str
    seconds: float | None
    times: int | None = None  # None: every call
    after_effect: bool = False
    channel: str | None = None
    gate: asyncio.Event | None = field(default=None, repr=False)  # set: stop waiting

    def matches(self, method: str, args: dict[str, Any], *, after_effect: bool) -> bool:
        return (
            self.method in {method, "*"}
            and self.after_effect == after_effect
            and self.channel in {None, args.get("channel")}
            and (self.times is None or self.times > 0)
        )


@dataclass
class ChannelLimit:
    """Slack's rule for chat.postMessage: one message per `interval` seconds in each channel
    (thread replies count); a sooner post is answered 429 with a whole-second Retry-After.
    Measured in real time, whatever the fake's `now` says."""

    method: str
    interval: float
    last: dict[str, float] = field(default_factory=dict)  # channel -> its last post (monotonic)
    posted: int = 0
    refused: int = 0


class FakeSlackApi(SlackWorkspace):
    def __init__(self, now: Callable[[], float] = time.time) -> None:
        """`now` sets the message timestamps (give it the test's clock, as Slack's ts is time)."""
        super().__init__(now)
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.channel_limit: ChannelLimit | None = None
        self.holds: list[Hold] = []
        self.refusals: list[tuple[Call, int | None]] = []  # answered 429/5xx: (call, Retry-After)
        self.performed: list[Call] = []  # calls whose work was done (held ones may never be)
        self._closing: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self.port = 0
        self._methods["apps.connections.open"] = self._connections_open
        self._methods["files.getUploadURLExternal"] = self._upload_url

    # ---- running --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL should be."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A `response_url` for a payload: what is posted to it is recorded as "response_url"."""
        return f"{self.base_url}/response/{name}"

    async def start(self) -> None:
        self._closing = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket-mode", self._socket_mode)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        if self._closing is not None:
            self._closing.set()  # held calls give up, so the server can stop
        for held in self.holds:
            if held.gate is not None:
                held.gate.set()
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlackApi:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @contextmanager
    def running(self) -> Iterator[FakeSlackApi]:
        """Serve from a daemon thread with its own loop (for code that is not async)."""
        loop = asyncio.new_event_loop()
        started = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            started.set()
            loop.run_forever()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        started.wait(10)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.close(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)

    # ---- misbehaving on purpose ---------------------------------------------------------------

    def rate_limit(self, method: str, times: int, retry_after: int = 1) -> None:
        self.faults.append(Fault(method, 429, times, retry_after=retry_after))

    def limit_per_channel(
        self, method: str = "chat.postMessage", interval: float = 1.0
    ) -> ChannelLimit:
        """From now on, refuse posts that come faster than one per `interval` in a channel."""
        self.channel_limit = ChannelLimit(method, interval)
        return self.channel_limit

    def fail_after_doing(self, method: str, times: int = 1, status: int = 500) -> None:
        self.faults.append(Fault(method, status, times, after_effect=True))

    def hold(
        self,
        method: str,
        seconds: float | None = None,
        *,
        times: int | None = None,
        after_effect: bool = False,
        channel: str | None = None,
    ) -> Hold:
        """Answer `method` late: a slow Slack, a pending post, a response past the timeout."""
        held = Hold(method, seconds, times, after_effect, channel)
        self.holds.append(held)
        return held

    def release(self, held: Hold) -> None:
        """Let the calls `held` keeps waiting go on now, and hold no more."""
        held.times = 0
        if held.gate is not None:
            held.gate.set()

    # ---- what tests look at ---------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1) -> list[Call]:
        """The calls to `method` once there are at least `count` of them."""
        await eventually(
            lambda: len(self.calls_to(method)) >= count,
            what=lambda: f"{count} {method} call(s); calls: {[c.method for c in self.calls]}",
        )
        return self.calls_to(method)

    async def send_over_socket(self, envelope: dict[str, Any]) -> None:
        """Deliver an envelope as Slack does in Socket Mode, to the newest connection."""
        await self.wait_for("socket.connect")
        await self._sockets[-1].send_json(envelope)

    # ---- HTTP -------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        call = Call(method, args, self._now())
        self.calls.append(call)
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"ok": False, "error": "not_authed"})
        fault = self._fault(method)
        if fault is not None and not fault.after_effect:
            self.refusals.append((call, fault.retry_after))
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            error = "ratelimited" if fault.status == 429 else "internal_error"
            return web.json_response(
                {"ok": False, "error": error}, status=fault.status, headers=headers
            )
        too_soon = self._too_soon(method, args)
        if too_soon is not None:
            self.refusals.append((call, too_soon))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(too_soon)},
            )
        if not await self._held(method, args, after_effect=False):
            return web.json_response({"ok": False, "error": "fatal_error"}, status=503)
        answer = self.answer(method, args)
        self.performed.append(call)
        await self._held(method, args, after_effect=True)
        if fault is not None:
            return web.json_response({"ok": False, "error": "internal_error"}, status=fault.status)
        return web.json_response(answer)

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("response_url", {"name": request.match_info["name"], **body}))
        return web.json_response({"ok": True})

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        self.calls.append(Call("upload", {"file_id": request.match_info["file_id"]}))
        return web.Response(text=f"OK - {len(self.uploads[request.match_info['file_id']])}")

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": len(self._sockets)})
        self.calls.append(Call("socket.connect", {}, self._now()))
        async for frame in socket:
            if frame.type is WSMsgType.TEXT:
                self.calls.append(Call("socket.ack", json.loads(frame.data), self._now()))
        self._sockets.remove(socket)
        return socket

    async def _held(self, method: str, args: dict[str, Any], *, after_effect: bool) -> bool:
        """Wait as a matching `Hold` says; False when the fake closed meanwhile."""
        held = next(
            (h for h in self.holds if h.matches(method, args, after_effect=after_effect)), None
        )
        if held is None:
            return True
        if held.times is not None:
            held.times -= 1
        if held.gate is None:
            held.gate = asyncio.Event()
        try:
            await asyncio.wait_for(held.gate.wait(), held.seconds)
        except TimeoutError:
            return True
        assert self._closing is not None
        return not self._closing.is_set()

    def _too_soon(self, method: str, args: dict[str, Any]) -> int | None:
        """The Retry-After for a post over its channel's limit; None when it may go."""
        limit = self.channel_limit
        if limit is None or method != limit.method:
            return None
        channel, now = str(args.get("channel")), time.monotonic()
        wait = limit.last.get(channel, -math.inf) + limit.interval - now
        if wait > 0:
            limit.refused += 1
            return max(1, math.ceil(wait))
        limit.last[channel] = now
        limit.posted += 1
        return None

    def _fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    # ---- methods that need the server's address -------------------------------------------------

    def _connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/socket-mode"}

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = self._next_id("F")
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}


async def _arguments(request: web.Request) -> dict[str, Any]:
    """Query, form and JSON arguments as one dict, JSON-valued ones decoded."""
    args: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        args.update(await request.json())
    elif request.can_read_body:
        args.update(await request.post())
    for name in JSON_ARGUMENTS & args.keys():
        if isinstance(args[name], str):
            args[name] = json.loads(args[name])
    return args
