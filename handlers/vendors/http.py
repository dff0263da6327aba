"""What the vendor API clients share: a session per poll or reply, JSON answers, paging links
that stay with the vendor, and failures told in words (`PollFailed`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp
from yarl import URL

from bot.ports.sources import PollFailed
from bot.sources.registry import SourceConfig

TIMEOUT = aiohttp.ClientTimeout(total=30)
ANSWER_LIMIT_BYTES = 8 * 1024 * 1024


def session(timeout: aiohttp.ClientTimeout = TIMEOUT) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=timeout, headers={"User-Agent": "AllHands/1"})


def api_base(source: SourceConfig, default: str) -> str:
    """The vendor's API, or the one `sources add --api-url` named instead."""
    return str(source.options.get("api_url") or default).rstrip("/")


async def call(
    client: aiohttp.ClientSession,
    vendor: str,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    body: Any = None,
) -> tuple[int, Any]:
    """The status and the JSON answer (None when it is not JSON) to a form or a JSON `body`;
    PollFailed when the vendor cannot be reached."""
    try:
        async with client.request(method, url, headers=headers, data=form, json=body) as response:
            body = await response.content.read(ANSWER_LIMIT_BYTES)
            status = response.status
    except (TimeoutError, aiohttp.ClientError) as error:
        raise PollFailed(f"{vendor} could not be reached ({type(error).__name__})") from None
    try:
        return status, json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return status, None


def page(vendor: str, status: int, answer: Any) -> dict[str, Any]:
    """A 200 answer's JSON object, or PollFailed saying the vendor answered nonsense."""
    if status != 200 or not isinstance(answer, dict):
        raise PollFailed(f"{vendor} answered {status} without a JSON object")
    return answer


def entries(answer: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The objects listed under `key` (anything else there is skipped)."""
    listed = answer.get(key)
    return (
        [entry for entry in listed if isinstance(entry, dict)] if isinstance(listed, list) else []
    )


def member(answer: dict[str, Any], key: str) -> dict[str, Any]:
    """The object under `key`, or an empty one."""
    found = answer.get(key)
    return found if isinstance(found, dict) else {}


def next_link(link: Any, base: str, vendor: str, seen: set[str]) -> str | None:
    """The next page's address, which must stay on the vendor's API (the token goes with it)
    and be new (`seen` are the pages read so far: a vendor going round in circles stops)."""
    if not link:
        return None
    found, home = URL(str(link)), URL(base)
    if (found.scheme, found.host, found.port) != (home.scheme, home.host, home.port):
        raise PollFailed(f"{vendor} pointed the next page away from its API ({found.host})")
    remember(str(found), seen, vendor)
    return str(found)


def remember(page_key: str, seen: set[str], vendor: str) -> None:
    """Note a page about to be asked for; PollFailed when the vendor leads back to one."""
    if page_key in seen:
        raise PollFailed(f"{vendor} led back to a page it had given (paging in circles)")
    seen.add(page_key)
