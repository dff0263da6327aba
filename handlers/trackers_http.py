"""`POST /trackers/NAME`: where issue trackers say an issue linked to items closed or reopened.

In order: the tracker must be registered (404); the body fits (413); the tracker's signature
holds, checked the tracker's own way (`handlers/trackers/`: GitHub, GitLab, Jira, Linear) (401,
nothing stored). Then the delivery is applied at once, with its delivery id, so a repeated
delivery does nothing; one that cannot be read is 422, and events that change no issue's status
(GitHub's `ping`, an issue opened or labelled) are answered and ignored.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from aiohttp import web

from bot.trackers.registry import TrackerRegistry
from bot.trackers.shipping import FixShipping
from handlers.api import Problem, read_bounded
from handlers.trackers.base import Unreadable
from handlers.trackers.kinds import WEBHOOKS

log = logging.getLogger(__name__)

ROUTE = "/trackers/{name}"
DELIVERY_LIMIT_BYTES = 1024 * 1024


class TrackersApi:
    def __init__(self, registry: TrackerRegistry, shipping: FixShipping) -> None:
        self._registry = registry
        self._shipping = shipping

    def mount(self, app: web.Application) -> None:
        app.router.add_post(ROUTE, self.receive)

    async def receive(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        tracker = await self._registry.find(name)
        if tracker is None:
            raise Problem(404, "not-found", f"There is no tracker named {name}.")
        body = await read_bounded(request, DELIVERY_LIMIT_BYTES)
        headers = {key.lower(): value for key, value in request.headers.items()}
        webhook = WEBHOOKS[tracker.kind]
        if not webhook.verify(headers, body, tracker.secret):
            log.info("trackers.unverified tracker=%s", name)
            raise Problem(401, "unauthorized", f"The delivery is not signed with {name}'s secret.")
        try:
            change = webhook.parse(headers, body)
        except Unreadable as error:
            raise Problem(422, "unusable", f"The delivery cannot be read: {error}.") from None
        if change is None:
            return web.json_response({"changed": [], "ignored": True})
        delivery = webhook.delivery_id(headers) or hashlib.sha256(body).hexdigest()
        refs = await asyncio.to_thread(self._shipping.apply, name, delivery, change)
        log.info("trackers.applied tracker=%s changed=%s", name, len(refs or []))
        return web.json_response({"changed": refs or [], "duplicate": refs is None})
