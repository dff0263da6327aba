"""Who may read `/metrics`: with ALLHANDS_METRICS_TOKEN set, whoever sends it; without it, only
a client on this machine.

Metrics name routes, backlogs and volumes: not secrets, but nothing to hand to the internet.
The client is the address of the connection itself; `X-Forwarded-For` and its kin are never
believed, since any client can write them. A proxy on this same machine makes every request
look local, so a request that names a forwarded client is refused without the token.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from aiohttp import web

from handlers.api import Problem

FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


class MetricsAccess:
    def __init__(self, token: str | None) -> None:
        self._token_digest = _digest(token) if token else None

    def refusal(self, request: web.Request) -> Problem | None:
        """Why this request may not read the metrics, or None when it may."""
        if self._token_digest is not None:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(
                _digest(given.strip()), self._token_digest
            ):
                return None
            detail = "Send 'Authorization: Bearer <token>' with ALLHANDS_METRICS_TOKEN."
            return Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})
        if _from_this_machine(request) and not any(
            h in request.headers for h in FORWARDING_HEADERS
        ):
            return None
        return Problem(
            403,
            "forbidden",
            "/metrics answers only this machine: set ALLHANDS_METRICS_TOKEN and send "
            "'Authorization: Bearer <token>' to read it from elsewhere.",
        )


def _digest(token: str) -> bytes:
    """Compared as digests: equal lengths, so the comparison says nothing about the token's."""
    return hashlib.sha256(token.encode()).digest()


def _from_this_machine(request: web.Request) -> bool:
    """Whether the connection's peer is a loopback address (127.0.0.0/8, ::1)."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if not isinstance(peer, tuple) or not peer:
        return False
    try:
        address = ipaddress.ip_address(str(peer[0]).partition("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
