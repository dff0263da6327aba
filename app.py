"""Composition root: builds the core, the chat adapters and the one server. No business logic.

`allhands ...` and `python app.py ...` both land in `main()`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator, Callable

import click
from aiohttp import web

from bot.config import describe_environment
from bot.core import Core
from bot.metrics import CountChanges
from handlers.api import BATCH_LIMIT_BYTES, Health, IngestApi, problem_middleware
from handlers.background import Background
from handlers.chat import ChatAdapter
from handlers.cli import cli
from handlers.cli.main import ConfigError, Context
from handlers.observability import (
    ANSWERING_KEY,
    MIDDLEWARES,
    AccessLog,
    Answering,
    Metrics,
    configure_logging,
)
from handlers.rate_limit import TokenBuckets
from handlers.slack.adapter import SlackAdapter
from handlers.teams.adapter import TeamsAdapter
from storage.db import schema_problem, upgrade

log = logging.getLogger("allhands")

SHUTDOWN_GRACE_SECONDS = 10.0
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


def build_server(core: Core, adapters: list[ChatAdapter], *, work: bool = True) -> web.Application:
    """The one aiohttp application: ingest API, health, and every chat adapter's routes; with
    `work`, the inbox, outbox and schedule too (else `allhands work` processes run them)."""
    app = web.Application(
        middlewares=[*MIDDLEWARES, problem_middleware], client_max_size=BATCH_LIMIT_BYTES
    )
    Health(core.desk).mount(app)
    Metrics(core.db, core.clock).mount(app)
    limits = TokenBuckets(core.settings.api_rate, core.settings.api_burst)
    IngestApi(core.desk, core.tokens, limits).mount(app)
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
    Health(core.desk).mount(app)
    Metrics(core.db, core.clock).mount(app)
    return app


async def run_worker(
    core: Core,
    adapters: list[ChatAdapter],
    stopping: asyncio.Event,
    status: tuple[str, int] | None = None,
) -> None:
    """`allhands work`: the inbox, outbox and schedule until `stopping` is set; with `status`
    (host, port), its health and metrics are served there too."""
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


def _environment_help() -> str:
    rows = "\n".join(f"  {name:<24} {text}" for name, _, text in describe_environment())
    return f"\b\nEnvironment variables:\n{rows}"


@click.command("serve", epilog=_environment_help())
@click.option("--dev", is_flag=True, help="Local mode: SQLite, auto-migrate, prints an API token.")
@click.option("--host", help="Bind address (overrides ALLHANDS_HOST).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (overrides ALLHANDS_PORT).")
@click.option(
    "--no-work",
    is_flag=True,
    help="Answer requests only; `allhands work` processes handle what they record.",
)
@click.pass_obj
def serve(ctx: Context, dev: bool, host: str | None, port: int | None, no_work: bool) -> None:
    """Run the server: ingest API, Slack, Teams, health, and (unless --no-work) the inbox,
    outbox and schedule, in one process."""
    settings = ctx.settings
    configure_logging(settings.log_level, settings.log_format)
    core = ctx.core_unchecked
    problem = schema_problem(core.db.engine)
    if problem and dev:
        upgrade(settings.database_url)
        click.echo(f"dev mode: migrated the database ({problem.split(':')[0]})")
    elif problem:
        raise ConfigError(problem)
    core.admin.bootstrap(settings.lead_emails, settings.exec_emails)
    adapters, lines = chat_adapters(core, dev=dev)
    for line in lines:
        click.echo(line)
    if dev:
        _announce_dev_token(core, f"http://{host or settings.host}:{port or settings.port}")
    app = build_server(core, adapters, work=not no_work)
    settle_heap()
    web.run_app(
        app,
        host=host or settings.host,
        port=port or settings.port,
        shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        access_log_class=AccessLog,
        print=lambda text: click.echo(text.strip()),
    )


def _announce_dev_token(core: Core, base: str) -> None:
    name = f"dev-{core.clock.now():%Y%m%d%H%M%S}"
    token = core.tokens.create(name)
    click.echo(
        "dev mode: SQLite, no chat credentials needed; every change is logged, and cards go "
        "only to the chat platforms that are on.\n"
        f"dev mode: API token '{name}' for this run:\n  {token}\n"
        f"  try: curl -X POST {base}/api/v1/feedback -H 'Authorization: Bearer {token}' "
        '-H \'Content-Type: application/json\' -d \'{"source":"email","body":"Hello"}\''
    )


@click.command("work")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Serve this worker's /healthz and /metrics on this port (on ALLHANDS_HOST).",
)
@click.pass_obj
def work(ctx: Context, port: int | None) -> None:
    """Handle what `serve --no-work` servers record, send the outbox and run the schedule."""
    settings = ctx.settings
    configure_logging(settings.log_level, settings.log_format)
    core = ctx.core
    adapters, lines = chat_adapters(core, dev=False)
    for line in lines:
        click.echo(line)
    status = (settings.host, port) if port else None
    asyncio.run(_work_until_signalled(core, adapters, status))


async def _work_until_signalled(
    core: Core, adapters: list[ChatAdapter], status: tuple[str, int] | None
) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stopping.set)
    click.echo("working: inbox, outbox and schedule (SIGTERM or Ctrl-C finishes and stops)")
    settle_heap()
    await run_worker(core, adapters, stopping, status)


cli.add_command(serve)
cli.add_command(work)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
