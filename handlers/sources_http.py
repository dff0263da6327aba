"""`POST /sources/NAME`: where helpdesks, surveys and inbound-email services deliver.

In order: the source must exist and be a webhook kind (404); the body fits (413); the vendor's
signature holds (401, and nothing is stored); the source is within its rate (429). Then the
delivery is kept raw with its vendor's event id (a retry of the same event does nothing) and
answered: 200, or 422 naming what its parser found missing (kept, so `allhands sources
replay ID` can read it again once the parser is fixed). An inbox worker applies it after.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.sources.intake import SourceIntake
from bot.sources.registry import SourceRegistry
from handlers.api import Problem, read_bounded
from handlers.rate_limit import TokenBuckets
from handlers.sources.base import DELIVERY_LIMIT_BYTES, Received, incoming
from handlers.sources.vendors import VENDORS

log = logging.getLogger(__name__)

ROUTE = "/sources/{name}"


class SourcesApi:
    def __init__(
        self, registry: SourceRegistry, intake: SourceIntake, limits: TokenBuckets
    ) -> None:
        self._registry = registry
        self._intake = intake
        self._limits = limits

    def mount(self, app: web.Application) -> None:
        app.router.add_post(ROUTE, self.receive)

    async def receive(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        source = await self._registry.find(name)
        vendor = VENDORS.get(source.kind) if source and not source.kind.polled else None
        if source is None or vendor is None:
            raise Problem(404, "not-found", f"There is no source named {name} taking deliveries.")
        body = await read_bounded(request, DELIVERY_LIMIT_BYTES)
        received = Received(
            {key.lower(): value for key, value in request.headers.items()},
            body,
            request.headers.get("Content-Type", ""),
            dict(request.query),
        )
        if not vendor.verify(received, source):
            log.info("sources.unverified source=%s", name)
            raise Problem(401, "unauthorized", f"The delivery is not signed with {name}'s secret.")
        wait = self._limits.take(name)
        if wait:
            raise Problem(
                429,
                "rate-limited",
                f"{name} is over its rate; try again in {wait:.1f} s.",
                headers={"Retry-After": str(max(1, round(wait)))},
            )
        delivery = incoming(vendor, source, received)
        kept = await self._intake.keep(delivery)
        if delivery.unusable:
            log.info("sources.unusable source=%s delivery=%s", name, kept.delivery_id)
            raise Problem(
                422,
                "unusable",
                f"The delivery cannot be read: {delivery.unusable}. It is kept: once the parser is "
                "fixed, `allhands sources replay DELIVERY` reads it again.",
                extra={"delivery": kept.delivery_id, "duplicate": kept.delivery_id is None},
            )
        return web.json_response(
            {"delivery": kept.delivery_id, "duplicate": kept.delivery_id is None}
        )
