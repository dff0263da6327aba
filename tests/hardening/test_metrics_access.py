"""`/metrics` without ALLHANDS_METRICS_TOKEN answers only this machine; with it, only the token.

The peer address is the connection's own: a real server bound to this machine's other
interface sees a non-loopback client, and forwarding headers never let anyone in.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator
from typing import Any
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from bot.core import Core
from handlers.metrics_access import MetricsAccess
from handlers.server import build_server, build_status_server

Client = TestClient[Any, Any]
TOKEN = "scrape-me-7f3a9c"
# A documentation address (TEST-NET-2): a UDP "connect" only asks the routing table which local
# address would be used; nothing is sent.
ROUTE_PROBE = ("198.51.100.1", 9)


def other_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(ROUTE_PROBE)
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if ipaddress.ip_address(address).is_loopback else address


async def assert_problem(response: Any, status: int, words: str) -> None:
    assert response.status == status
    assert response.content_type == "application/problem+json"
    body = await response.json()
    assert body["status"] == status
    assert words in body["detail"]


@pytest.fixture
async def remote_client(core: Core) -> AsyncIterator[Client]:
    """The server bound to this machine's non-loopback address, reached through it."""
    address = other_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    server = TestServer(build_server(core, [], work=False), host=address)
    async with TestClient(server) as client:
        yield client


async def test_without_a_token_this_machine_may_scrape(client: Client) -> None:
    response = await client.get("/metrics")
    assert response.status == 200
    assert "allhands_outbox_pending" in await response.text()


async def test_without_a_token_another_machine_is_refused(remote_client: Client) -> None:
    assert remote_client.server.host != "127.0.0.1"
    await assert_problem(await remote_client.get("/metrics"), 403, "ALLHANDS_METRICS_TOKEN")
    assert (await remote_client.get("/healthz")).status == 200  # only /metrics is guarded


async def test_forwarding_headers_never_make_a_request_local(
    client: Client, remote_client: Client
) -> None:
    """From a proxy on this machine a request names its client: refused, whatever it says."""
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        local_proxy = await client.get("/metrics", headers={header: "127.0.0.1"})
        await assert_problem(local_proxy, 403, "ALLHANDS_METRICS_TOKEN")
    lying = await remote_client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
    await assert_problem(lying, 403, "ALLHANDS_METRICS_TOKEN")


@pytest.mark.parametrize("core_settings", [{"ALLHANDS_METRICS_TOKEN": TOKEN}])
async def test_with_a_token_only_the_token_is_let_in(client: Client, remote_client: Client) -> None:
    for wrong in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {TOKEN}"}):
        refused = await client.get("/metrics", headers=wrong)
        await assert_problem(refused, 401, "ALLHANDS_METRICS_TOKEN")
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert (await remote_client.get("/metrics", headers=right)).status == 200
    assert (await client.get("/metrics", headers=right)).status == 200


@pytest.mark.parametrize("core_settings", [{"ALLHANDS_METRICS_TOKEN": "  "}])
async def test_a_blank_token_is_no_token(core: Core, remote_client: Client) -> None:
    assert core.settings.metrics_token is None
    blank = {"Authorization": "Bearer "}
    await assert_problem(await remote_client.get("/metrics", headers=blank), 403, "TOKEN")


@pytest.mark.parametrize("core_settings", [{"ALLHANDS_METRICS_TOKEN": TOKEN}])
async def test_a_workers_status_server_asks_for_the_token_too(core: Core) -> None:
    async with TestClient(TestServer(build_status_server(core))) as status:
        await assert_problem(await status.get("/metrics"), 401, "ALLHANDS_METRICS_TOKEN")
        right = {"Authorization": f"Bearer {TOKEN}"}
        assert (await status.get("/metrics", headers=right)).status == 200


def request_from(peer: object) -> web.Request:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        peer if name == "peername" else default
    )
    return make_mocked_request("GET", "/metrics", transport=transport)


@pytest.mark.parametrize(
    ("peer", "local"),
    [
        (("127.0.0.1", 50000), True),
        (("127.8.9.10", 50000), True),
        (("::1", 50000, 0, 0), True),
        (("::ffff:127.0.0.1", 50000, 0, 0), True),
        (("10.0.0.5", 50000), False),
        (("fd00::2", 50000, 0, 0), False),
        (("::ffff:10.0.0.5", 50000, 0, 0), False),
        ("", False),  # a Unix socket's peer
        (None, False),
    ],
)
def test_loopback_is_every_127_address_and_ipv6s_own(peer: object, local: bool) -> None:
    """The IPv6 forms a dual-stack listener reports are read as what they are."""
    refusal = MetricsAccess(None).refusal(request_from(peer))
    assert (refusal is None) == local
