"""The one aiohttp server: ingest API, health, metrics and every chat adapter's routes, and
(unless its work runs elsewhere) the inbox, outbox and schedule beside them."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from bot.core import Core
from bot.metrics import CountChanges
from bot.privacy.logs import install_log_masking
from handlers.api import BATCH_LIMIT_BYTES, Health, IngestApi, problem_middleware
from handlers.background import Background
from handlers.chat import ChatAdapter
from handlers.cli.context import ConfigError
from handlers.metrics_access import MetricsAccess
from handlers.observability import ANSWERING_KEY, MIDDLEWARES, Answering, Metrics
from handlers.rate_limit import TokenBuckets
from handlers.satisfaction_http import SatisfactionPage
from handlers.slack.adapter import SlackAdapter
from handlers.sources_http import SourcesApi
from handlers.teams.adapter import TeamsAdapter
from handlers.trackers_http import TrackersApi

# Allocations between young collections once the heap is settled. Python's 700 suits a script;
# a server allocates that much in a request or two, and every collection stalls the event loop.
YOUNG_COLLECTION_EVERY = 50_000


def settle_heap() -> None:
    """Before a long-running process starts its work: what start-up built (SQLAlchemy's, Bolt's
    and slack_sdk's classes, tables and caches) lives as long as the process, so the collector
    stops walking it, and young objects are collected in larger, rarer rounds. Each full
    collection of that heap used to hold every answer in flight (p99 ~100 ms at 32 connections)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])


def chat_adapters(core: Core, *, dev: bool) -> tuple[list[ChatAdapter], list[str]]:
    """The enabled chat adapters, and one line per platform saying whether it is on and why."""
    adapters: list[ChatAdapter] = []
    lines: list[str] = []
    candidates: tuple[tuple[str, Callable[[], ChatAdapter | None], str], ...] = (
        (
            "Slack",
            lambda: SlackAdapter.from_settings(core.settings, core),
            "set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to turn it on",
        ),
        (
            "Teams",
            lambda: TeamsAdapter.from_settings(core.settings, core, dev=dev),
            "set MicrosoftAppId and MicrosoftAppPassword to turn it on",
        ),
    )
    for name, build, how in candidates:
        try:
            adapter = build()
        except ValueError as error:  # settings that cannot work: refuse to start
            raise ConfigError(str(error)) from None
        if adapter is None:
            lines.append(f"{name}: off ({how})")
        else:
            adapters.append(adapter)
            lines.append(f"{name}: {adapter.mode}")
    return adapters, lines


def metrics_access(core: Core) -> MetricsAccess:
    token = core.settings.metrics_token
    return MetricsAccess(token.get_secret_value() if token else None)


def build_server(core: Core, adapters: list[ChatAdapter], *, work: bool = True) -> web.Application:
    """The one aiohttp application: ingest API, health, and every chat adapter's routes; with
    `work`, the inbox, outbox and schedule too (else `allhands work` processes run them).

    Cards are routed to exactly the platforms served here, whatever turned each adapter on."""
    install_log_masking(core.desk.privacy.last_masker)
    core.router.deliver_to(adapter.platform for adapter in adapters)
    app = web.Application(
        middlewares=[*MIDDLEWARES, problem_middleware], client_max_size=BATCH_LIMIT_BYTES
    )
    Health(core.desk, core.router.warnings).mount(app)
    Metrics(core.db, core.clock, metrics_access(core)).mount(app)
    IngestApi(core.desk, core.tokens, core.api_limits, core.erasure).mount(app)
    source_limits = TokenBuckets(core.settings.source_rate, core.settings.source_burst)
    SourcesApi(core.sources, core.source_intake, source_limits).mount(app)
    TrackersApi(core.trackers, core.shipping).mount(app)
    SatisfactionPage(core.satisfaction).mount(app)
    for adapter in adapters:
        adapter.mount(app)
    core.listeners.add(CountChanges())
    app[ANSWERING_KEY] = answering = Answering()
    background = Background(core, adapters, answering.crowded) if work else None

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        for adapter in adapters:
            await adapter.start()
        if background is not None:
            background.start()
        yield
        for adapter in adapters:  # work already acked first: its card updates can still go out
            await adapter.stop()
        if background is not None:
            await background.stop()
        core.close()

    app.cleanup_ctx.append(lifecycle)
    return app


def build_status_server(core: Core) -> web.Application:
    """A worker's own `/healthz`, `/readyz` and `/metrics`: what it changes is counted where
    it changes it, and an orchestrator can probe it."""
    app = web.Application(middlewares=MIDDLEWARES)
    Health(core.desk, core.router.warnings).mount(app)
    Metrics(core.db, core.clock, metrics_access(core)).mount(app)
    return app


async def run_worker(
    core: Core,
    adapters: list[ChatAdapter],
    stopping: asyncio.Event,
    status: tuple[str, int] | None = None,
) -> None:
    """`allhands work`: the inbox, outbox and schedule until `stopping` is set; with `status`
    (host, port), its health and metrics are served there too."""
    install_log_masking(core.desk.privacy.last_masker)
    core.listeners.add(CountChanges())
    background = Background(core, adapters)
    runner = None
    if status is not None:
        runner = web.AppRunner(build_status_server(core), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, *status).start()
    for adapter in adapters:
        await adapter.start(listen=False)
    background.start()
    await stopping.wait()
    await background.stop()
    for adapter in adapters:
        await adapter.stop()
    if runner is not None:
        await runner.cleanup()
    core.close()
