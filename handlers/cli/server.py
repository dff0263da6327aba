"""`allhands serve` and `allhands work`: the long-running processes."""

from __future__ import annotations

import asyncio
import errno
import signal
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import click
from aiohttp import web

from bot.admin.secrets import new_key
from bot.config import Settings, describe_environment
from bot.core import Core
from handlers.chat import ChatAdapter
from handlers.cli.context import ConfigError, Context, load_settings
from handlers.observability import AccessLog, configure_logging
from handlers.server import build_server, chat_adapters, run_worker, settle_heap

SHUTDOWN_GRACE_SECONDS = 10.0
DEV_TOKEN_NAME = "dev"  # noqa: S105 - a name; the token is made each run
PREVIEW_HINT = (
    "dev mode: see an item's card as Slack or Teams would get it, without either (FB-1 is the "
    "first item):\n"
    "  allhands preview card FB-1 --format slack   # the blocks, and a Block Kit Builder link\n"
    "  allhands preview card FB-1 --format teams   # the Adaptive Card, for the Designer"
)


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
    if dev:
        _dev_secret_key(load_settings())
    settings = ctx.settings
    host, port = host or settings.host, port or settings.port
    configure_logging(settings.log_level, settings.log_format)
    core = ctx.core_unchecked
    problem = core.db.schema_problem()
    if problem and dev:
        core.db.upgrade()
        click.echo(f"dev mode: migrated the database ({problem.split(':')[0]})")
    elif problem:
        raise ConfigError(problem)
    core.admin.bootstrap(settings.lead_emails, settings.exec_emails)
    adapters = _start_adapters(core, dev=dev)
    if dev:
        _announce_dev_token(core, f"http://{host}:{port}")
        click.echo(PREVIEW_HINT)
    app = build_server(core, adapters, work=not no_work)
    settle_heap()
    with _listening(host, port):
        web.run_app(
            app,
            host=host,
            port=port,
            shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
            access_log_class=AccessLog,
            print=lambda text: click.echo(text.strip()),
        )


@contextmanager
def _listening(host: str, port: int) -> Iterator[None]:
    """A port another program holds, or an address this machine does not have, is a setting
    to change: say which, and how, instead of aiohttp's traceback."""
    try:
        yield
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is in use by another program: stop it, or pick another "
                "port with --port or ALLHANDS_PORT"
            ) from error
        if error.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
            raise ConfigError(
                f"cannot listen on {host}:{port} ({error.strerror}): pick another address with "
                "--host/--port or ALLHANDS_HOST/ALLHANDS_PORT"
            ) from error
        raise


def _start_adapters(core: Core, *, dev: bool) -> list[ChatAdapter]:
    """The chat adapters, a line for each platform (on, or how to turn it on), and a warning
    for each setting that sends cards nowhere, which would otherwise pass in silence."""
    adapters, lines = chat_adapters(core, dev=dev)
    for line in lines:
        click.echo(line)
    core.router.deliver_to(adapter.platform for adapter in adapters)  # the emulator counts
    for warning in core.router.warnings():
        click.echo(f"warning: {warning}")
    return adapters


def _dev_secret_key(settings: Settings) -> None:
    """Dev mode seals source secrets too: with a key of its own, made once and kept in
    ALLHANDS_SECRET_KEY_FILE (readable by its owner only) for later runs and the CLI."""
    if settings.sealing_key() is not None:
        return
    path = Path(settings.secret_key_file).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    path.touch(mode=0o600)
    path.write_text(key + "\n")
    click.echo(
        f"dev mode: made a secret key for source secrets in {path}; in production set "
        f"ALLHANDS_SECRET_KEY={key}"
    )


def _announce_dev_token(core: Core, base: str) -> None:
    """One dev token, replaced every run: the last run's stops working, so runs do not leave
    live tokens behind."""
    token = core.tokens.rotate(DEV_TOKEN_NAME, missing_ok=True)
    click.echo(
        "dev mode: SQLite, no chat credentials needed; every change is logged, and cards go "
        "only to the chat platforms that are on.\n"
        f"dev mode: API token '{DEV_TOKEN_NAME}' for this run (the last run's is revoked):\n"
        f"  {token}\n"
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
    adapters = _start_adapters(core, dev=False)
    status = (settings.host, port) if port else None
    with _listening(*status) if status else nullcontext():
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
