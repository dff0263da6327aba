"""What every fake vendor that takes replies to customers shares: the replies it took
(`replies`: target and text, in order, shown when the vendor is asked), access checked on each
(401 otherwise), and two misbehaviours: `stall_reply()` makes the next reply be taken and then
not answered until the server closes (the client times out after the vendor accepted it);
`refuse_reply(text)` answers the next reply with `refusal_status` (422) carrying `text` in the
vendor's error shape.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.support.fakes.local import LocalServer


@dataclass(frozen=True)
class TakenReply:
    target: str
    text: str  # the body as sent (HTML for Intercom and Freshdesk)
    marker: str | None = None  # Zendesk's custom audit metadata


class FakeVendor(LocalServer):
    vendor = ""  # the kind of source it stands for
    token = ""  # the API token its source is added with (the app stores sign with keys)
    refusal_status = 422

    def __init__(self) -> None:
        super().__init__()
        self._released = asyncio.Event()
        self._stall = False
        self._refusal: str | None = None
        self.replies: list[TakenReply] = []

    def stall_reply(self) -> None:
        self._stall = True

    def refuse_reply(self, text: str) -> None:
        self._refusal = text

    def refusal(self, text: str) -> dict[str, Any]:
        """`text` in the vendor's error shape."""
        raise NotImplementedError

    def authorized(self, request: web.Request) -> bool:
        """Whether the request carries the access the vendor gave the source."""
        raise NotImplementedError

    def denied(self, request: web.Request) -> web.Response | None:
        """The vendor's 401 to a request without the source's access, else None."""
        if self.authorized(request):
            return None
        return web.json_response(self.refusal("Unauthorized"), status=401)

    async def take(self, request: web.Request, reply: TakenReply) -> web.Response | None:
        """Record the reply (or refuse it); None when it was taken and should be answered."""
        denied = self.denied(request)
        if denied is not None:
            return denied
        if self._refusal is not None:
            text, self._refusal = self._refusal, None
            return web.json_response(self.refusal(text), status=self.refusal_status)
        self.replies.append(reply)
        if self._stall:
            self._stall = False
            await self._released.wait()  # taken, but the answer never comes in time
        return None

    async def closing(self) -> None:
        self._released.set()
