"""Schemathesis fuzzes every operation of `/api/v1/openapi.json` against a live server.

No answer may be a 500, and every answer must match the document (status, headers, body).
Schema-valid input may still be refused: a cursor or a ref is opaque, so "valid" cannot be
written down in JSON Schema; that one check is left out.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from bot.core import Core
from handlers import api
from handlers.server import build_server
from tests.support.core import make_core

EXAMPLES_PER_OPERATION = 30


@pytest.fixture
def live_server(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Core]]:
    """The real app on a real port, served from its own thread (schemathesis calls are sync).

    Rate limits would answer the fuzzer's flood of made-up tokens with 429s: they are
    raised out of its way (tests/hardening/test_probe_small.py holds them)."""
    monkeypatch.setattr(api, "LOOKUP_BURST", 1_000_000)
    core = make_core(db_url, ALLHANDS_API_RATE=10_000, ALLHANDS_API_BURST=10_000)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(build_server(core, []))
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
    host, port = runner.addresses[0][:2]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{port}", core
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def test_no_operation_answers_500_or_off_schema(live_server: tuple[str, Core]) -> None:
    base_url, core = live_server
    with requests.Session() as session:
        document = session.get(f"{base_url}/api/v1/openapi.json").json()
        schema = schemathesis.openapi.from_dict(document)
        auth = {"Authorization": f"Bearer {core.tokens.create('fuzz')}"}
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 6

        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def call(case: schemathesis.Case) -> None:
                case.call_and_validate(
                    base_url=base_url,
                    session=session,
                    headers=auth,
                    excluded_checks=[positive_data_acceptance],
                )

            call()
