"""Reading a request's body without letting a stranger pin memory or a connection.

What can be checked before reading is checked first (the declared length); the body is read
only up to its route's limit, and a body that trickles in slower than `BODY_SECONDS` allows is
dropped: twelve connections each sending 8 MiB minus a few bytes used to hold 100 MiB for as
long as they liked.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

BODY_SECONDS = 10.0


class BodyRefused(Exception):
    """The body is too large (413) or came too slowly (408); `reason` says so."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The whole body, also left where `request.read()` and `request.json()` find it (a
    library reading the request after us gets it from memory)."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyRefused(413, f"the body is over {limit // 1024} KB")
    try:
        body = await asyncio.wait_for(_read(request, limit), BODY_SECONDS)
    except TimeoutError:
        raise BodyRefused(408, f"the body took over {BODY_SECONDS:g} s to arrive") from None
    request._read_bytes = body  # aiohttp's cache of the body, which read() returns from then on
    return body


async def _read(request: web.Request, limit: int) -> bytes:
    raw = bytearray()
    while len(raw) <= limit:  # one read returns what has arrived so far, not the whole body
        chunk = await request.content.read(limit + 1 - len(raw))
        if not chunk:
            break
        raw += chunk
    if len(raw) > limit:
        raise BodyRefused(413, f"the body is over {limit // 1024} KB")
    return bytes(raw)
