"""A fake Slack Web API: a real aiohttp server on 127.0.0.1 that the real slack_sdk client talks to.

It records every call as (method, args), keeps the messages, reactions, views and users a test
needs to look at, answers in Slack's shapes, and can be told to misbehave: answer 429 with a
`Retry-After`, fail with a 500 *after* doing the work (a response lost on the way back), or
answer late (`hold`); each call's time is recorded. `limit_per_channel` holds every channel to
Slack's one post per second, answering 429 to a post that comes sooner.
Point a client at it with `base_url=fake.api_url` (SLACK_API_URL). `response_url`s and file
uploads go to the same server, so a test sees those too, and so does Socket Mode: the URL
`apps.connections.open` gives leads to the fake's WebSocket, where `send_over_socket` delivers
an envelope and each frame the app sends back is recorded as a "socket.ack" call.

    async with FakeSlackApi() as slack: ...        # inside a test's event loop
    with FakeSlackApi().running() as slack: ...    # on its own thread, for benchmarks
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0001"
# Arguments Slack sends form-encoded as JSON strings; the fake hands tests real objects.
JSON_ARGUMENTS = {"blocks", "attachments", "view", "metadata", "files"}
MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
SECTION_CHARS = 3_000


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
    """Keep the next `times` calls of `method` ("*": any) waiting `seconds` (None: until the
    fake closes) before the work; `after_effect`: after it (done, but the answer is late).
    A call still held when the fake closes is never done."""

    method: str
    seconds: float | None
    times: int | None = None  # None: every call
    after_effect: bool = False


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


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[Any]
    user: str = BOT_USER
    bot_id: str | None = BOT_ID
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self, *, with_metadata: bool = False) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "text": self.text,
            "blocks": self.blocks,
            "ts": self.ts,
            "team": TEAM,
        }
        if self.bot_id:
            shown["bot_id"] = self.bot_id
        if self.thread_ts:
            shown["thread_ts"] = self.thread_ts
        if with_metadata and self.metadata:
            shown["metadata"] = self.metadata
        if self.reactions:
            shown["reactions"] = [
                {"name": name, "users": users, "count": len(users)}
                for name, users in self.reactions.items()
            ]
        return shown


class FakeSlackApi:
    def __init__(self, now: Callable[[], float] = time.time) -> None:
        """`now` sets the message timestamps (give it the test's clock, as Slack's ts is time)."""
        self._now = now
        self.calls: list[Call] = []
        self.messages: list[Message] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.channel_limit: ChannelLimit | None = None
        self.holds: list[Hold] = []
        self.refusals: list[tuple[Call, int | None]] = []  # answered 429/5xx: (call, Retry-After)
        self.performed: list[Call] = []  # calls whose work was done (held ones may never be)
        self._closing: asyncio.Event | None = None
        self.uploads: dict[str, bytes] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self.port = 0
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": lambda args: {"args": args},
            "apps.connections.open": self._connections_open,
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._permalink,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "users.info": self._users_info,
            "users.lookupByEmail": self._lookup_by_email,
            "views.open": self._view,
            "views.update": self._view,
            "views.publish": self._view,
            "conversations.open": self._conversations_open,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

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
        self._changed = asyncio.Condition()
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

    # ---- what tests set up and look at ------------------------------------------------------

    def add_user(self, user_id: str, name: str, email: str | None = None) -> None:
        profile = {"real_name": name, "display_name": name.split()[0], "email": email or ""}
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM,
            "name": name.lower().replace(" ", "."),
            "real_name": name,
            "deleted": False,
            "is_bot": False,
            "profile": profile,
        }

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
    ) -> Hold:
        """Answer `method` late: a slow Slack, a pending post, a response past the timeout."""
        held = Hold(method, seconds, times, after_effect)
        self.holds.append(held)
        return held

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def cards(self, channel: str | None = None) -> list[Message]:
        """Top-level messages (not thread replies), oldest first."""
        return [
            m
            for m in self.messages
            if m.thread_ts is None and (channel is None or m.channel == channel)
        ]

    def replies(self, channel: str, thread_ts: str) -> list[Message]:
        return [m for m in self.messages if m.channel == channel and m.thread_ts == thread_ts]

    def post_as_user(
        self, channel: str, user: str, text: str, thread_ts: str | None = None
    ) -> Message:
        """A person's message, so history and replies look as they would in Slack."""
        message = Message(channel, self._next_ts(), text, [], user, None, thread_ts)
        self.messages.append(message)
        return message

    async def send_over_socket(self, envelope: dict[str, Any]) -> None:
        """Deliver an envelope as Slack does in Socket Mode, to the newest connection."""
        await self.wait_for("socket.connect")
        await self._sockets[-1].send_json(envelope)

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The calls to `method` once there are at least `count` of them."""
        assert self._changed is not None, "the fake is not running"

        async def enough() -> None:
            async with self._changed:  # type: ignore[union-attr]
                await self._changed.wait_for(  # type: ignore[union-attr]
                    lambda: len(self.calls_to(method)) >= count
                )

        try:
            await asyncio.wait_for(enough(), timeout)
        except TimeoutError:
            seen = [c.method for c in self.calls]
            raise AssertionError(f"expected {count} {method} call(s); calls: {seen}") from None
        return self.calls_to(method)

    # ---- HTTP -------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        call = Call(method, args, self._now())
        await self._record(call)
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
        if not await self._held(method, after_effect=False):
            return web.json_response({"ok": False, "error": "fatal_error"}, status=503)
        handler = self._methods.get(method)
        answer = handler(args) if handler else {"ok": False, "error": "unknown_method"}
        answer.setdefault("ok", "error" not in answer)
        self.performed.append(call)
        await self._notify()
        await self._held(method, after_effect=True)
        if fault is not None:
            return web.json_response({"ok": False, "error": "internal_error"}, status=fault.status)
        return web.json_response(answer)

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record(Call("response_url", {"name": request.match_info["name"], **body}))
        return web.json_response({"ok": True})

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        await self._record(Call("upload", {"file_id": request.match_info["file_id"]}))
        return web.Response(text=f"OK - {len(self.uploads[request.match_info['file_id']])}")

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": len(self._sockets)})
        await self._record(Call("socket.connect", {}, self._now()))
        async for frame in socket:
            if frame.type is WSMsgType.TEXT:
                await self._record(Call("socket.ack", json.loads(frame.data), self._now()))
        self._sockets.remove(socket)
        return socket

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        await self._notify()

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def _held(self, method: str, *, after_effect: bool) -> bool:
        """Wait as a matching `Hold` says; False when the fake closed meanwhile."""
        held = next(
            (
                h
                for h in self.holds
                if h.method in {method, "*"}
                and h.after_effect == after_effect
                and (h.times is None or h.times > 0)
            ),
            None,
        )
        if held is None:
            return True
        if held.times is not None:
            held.times -= 1
        assert self._closing is not None
        try:
            await asyncio.wait_for(self._closing.wait(), held.seconds)
        except TimeoutError:
            return True
        return False

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

    # ---- methods ------------------------------------------------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://allhands-test.slack.com/",
            "team": "All Hands Test",
            "user": "allhands",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/socket-mode"}

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        problem = _message_problem(args)
        if problem:
            return {"error": problem}
        channel = str(args["channel"])
        if channel.startswith("U"):  # a user id posts to the app's DM with them
            channel = f"D{channel}"
        message = Message(
            channel=channel,
            ts=self._next_ts(),
            text=str(args.get("text") or ""),
            blocks=list(args.get("blocks") or []),
            thread_ts=args.get("thread_ts") or None,
            metadata=args.get("metadata"),
        )
        self.messages.append(message)
        return {"channel": channel, "ts": message.ts, "message": message.as_json()}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find(args.get("channel"), args.get("ts"))
        if message is None:
            return {"error": "message_not_found"}
        problem = _message_problem(args)
        if problem:
            return {"error": problem}
        message.text = str(args.get("text") or "")
        message.blocks = list(args.get("blocks") or [])
        return {
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": message.as_json(),
        }

    def _delete(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find(args.get("channel"), args.get("ts"))
        if message is None:
            return {"error": "message_not_found"}
        self.messages.remove(message)
        return {"channel": message.channel, "ts": message.ts}

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel") or not args.get("user"):
            return {"error": "invalid_arguments"}
        return {"message_ts": self._next_ts()}

    def _permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel")), str(args.get("message_ts"))
        link = f"https://allhands-test.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find(args.get("channel"), args.get("timestamp"))
        if message is None:
            return {"error": "message_not_found"}
        users = message.reactions.setdefault(str(args["name"]), [])
        if BOT_USER in users:
            return {"error": "already_reacted"}
        users.append(BOT_USER)
        return {}

    def _reactions_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find(args.get("channel"), args.get("timestamp"))
        if message is None:
            return {"error": "message_not_found"}
        users = message.reactions.get(str(args["name"]), [])
        if BOT_USER not in users:
            return {"error": "no_reaction"}
        users.remove(BOT_USER)
        if not users:
            del message.reactions[str(args["name"])]
        return {}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        return {"user": user} if user else {"error": "user_not_found"}

    def _lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email") or "").lower()
        found = [u for u in self.users.values() if u["profile"]["email"].lower() == email]
        return {"user": found[0]} if found else {"error": "users_not_found"}

    def _view(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict):
            return {"error": "invalid_arguments"}
        if len(view.get("blocks") or []) > MAX_BLOCKS.get(str(view.get("type")), 100):
            return {"error": "invalid_arguments"}
        view_id = str(args.get("view_id") or f"V{next(self._ids):06d}")
        self.views[view_id] = view
        return {"view": {"id": view_id, **view}}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users") or "")
        if not users:
            return {"error": "users_list_not_supplied"}
        return {"channel": {"id": f"D{users.split(',')[0]}"}}

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        oldest = float(args.get("oldest") or 0)
        shown = [m for m in reversed(self.cards(str(args.get("channel")))) if float(m.ts) > oldest]
        return self._page(shown, args)

    def _replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel")), str(args.get("ts"))
        parent = self._find(channel, ts)
        if parent is None:
            return {"error": "thread_not_found"}
        return self._page([parent, *self.replies(channel, ts)], args)

    def _page(self, messages: list[Message], args: dict[str, Any]) -> dict[str, Any]:
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        page = messages[start : start + limit]
        metadata = str(args.get("include_all_metadata")).lower() in {"1", "true"}
        more = start + limit < len(messages)
        return {
            "messages": [m.as_json(with_metadata=metadata) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids):06d}"
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files") or []
        return {"files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}

    def _find(self, channel: object, ts: object) -> Message | None:
        return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def _next_ts(self) -> str:
        return f"{int(self._now())}.{next(self._ts):06d}"


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


def _message_problem(args: dict[str, Any]) -> str | None:
    """The checks Slack makes that slack_sdk does not (or not on plain dicts)."""
    if not args.get("channel"):
        return "channel_not_found"
    blocks = args.get("blocks") or []
    if not args.get("text") and not blocks:
        return "no_text"
    if len(blocks) > MAX_BLOCKS["message"]:
        return "invalid_blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > SECTION_CHARS:
            return "invalid_blocks"
    return None
