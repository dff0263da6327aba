"""A webhook receiver on this machine: what outbound webhooks delivered, by the path they were
sent to."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestServer


class Received:
    """The bodies each path got (as JSON text, non-ASCII kept), and the URL of each path."""

    def __init__(self, server: TestServer) -> None:
        self._server = server
        self.bodies: defaultdict[str, list[str]] = defaultdict(list)

    def url(self, name: str) -> str:
        return str(self._server.make_url(f"/{name}"))


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[Received]:
    app = web.Application()
    server = TestServer(app)
    received = Received(server)

    async def receive(request: web.Request) -> web.Response:
        body = json.dumps(await request.json(), ensure_ascii=False)
        received.bodies[request.match_info["name"]].append(body)
        return web.Response()

    app.router.add_post("/{name}", receive)
    async with server:
        yield received
