"""Any other system that can post JSON (the `json` kind): a field map says where each thing is.

    allhands sources add json NAME --map key=data.id --map body=data.text [--map FIELD=PATH …]

A PATH is dotted (`data.messages.0.text`: a number picks from a list). `key` (the ticket or
conversation the delivery is about) and `body` are required; `title`, `email`, `name`, `kind`
(complaint, bug, question, feedback, praise), `severity` (low, normal, high, urgent), `url`,
`received_at` (RFC 3339 or Unix seconds) and `status` are optional. `event` says what a
delivery is: `new` or `created` (the default, and when unmapped), `follow-up`, `comment` or
`reply` (the body is more words from the customer on the key's item), or `status` (the value at
`status` is noted on the card).

Signed with `X-AllHands-Signature: sha256=` + hex(HMAC-SHA256(secret, body)), the secret
`allhands sources add` prints.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from bot.domain import Kind, Severity
from bot.errors import Invalid
from bot.sources.events import Arrived, FollowedUp, SourceEvent, StatusChanged, Unusable
from bot.sources.registry import SourceConfig
from handlers.sources.base import (
    Received,
    customer,
    dig,
    hmac_hex,
    json_object,
    scheme_signature_holds,
    timestamp,
    web_url,
)

SIGNATURE = "x-allhands-signature"
FIELDS = (
    "key",
    "body",
    "title",
    "email",
    "name",
    "kind",
    "severity",
    "url",
    "received_at",
    "status",
    "event",
)
REQUIRED = ("key", "body")
EVENTS = {
    "new": "new",
    "created": "new",
    "follow-up": "follow-up",
    "followup": "follow-up",
    "follow_up": "follow-up",
    "comment": "follow-up",
    "reply": "follow-up",
    "status": "status",
}  # the sender's word for what a delivery is → ours
KINDS = {kind.value: kind for kind in Kind}
SEVERITIES = {severity.value: severity for severity in Severity}
_PATH = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")
# What `sources test` puts at each path a source maps.
SAMPLE_VALUES = {
    "key": "sample-1",
    "body": "Sample: the export button does nothing.",
    "title": "Export does nothing",
    "email": "dana@example.com",
    "name": "Dana",
    "kind": "bug",
    "severity": "high",
    "url": "https://example.com/tickets/sample-1",
    "received_at": "2026-01-05T09:00:00Z",
    "status": "open",
    "event": "new",
}
EXAMPLE_MAP = {"key": "data.id", "body": "data.text", "email": "data.customer.email"}

kept_headers: tuple[str, ...] = ()
sample_type = "application/json"


def field_map(pairs: Iterable[str]) -> dict[str, str]:
    """`--map FIELD=PATH` options as a map, or Invalid saying what is wrong with them."""
    mapped: dict[str, str] = {}
    for pair in pairs:
        name, equals, path = (part.strip() for part in pair.partition("="))
        if not equals or name not in FIELDS:
            raise Invalid(
                f"--map {pair!r}: write FIELD=PATH with FIELD one of {', '.join(FIELDS)}.", "map"
            )
        if not _PATH.match(path):
            raise Invalid(
                f"--map {pair!r}: PATH is dotted names, e.g. data.text or items.0.id.", "map"
            )
        if name in mapped:
            raise Invalid(f"--map {name} is given twice.", "map")
        mapped[name] = path
    missing = [name for name in REQUIRED if name not in mapped]
    if missing:
        raise Invalid(
            f"A json source needs --map for {' and '.join(missing)} "
            "(e.g. --map key=data.id --map body=data.text).",
            "map",
        )
    return mapped


def sample_for(source: SourceConfig) -> bytes:
    """A delivery with a sample value at each path the source maps."""
    return _filled(source.options.get("map") or EXAMPLE_MAP)


def verify(received: Received, source: SourceConfig) -> bool:
    if not source.secret:
        return False
    expected = hmac_hex(source.secret, received.body)
    return scheme_signature_holds(received.headers.get(SIGNATURE, ""), "sha256", expected)


def event_id(received: Received) -> str | None:
    return None  # the sender names no event: a delivery is known by its content


def parse(received: Received, source: SourceConfig) -> list[SourceEvent]:
    data = json_object(received.body)
    paths: dict[str, str] = source.options.get("map") or {}
    if any(name not in paths for name in REQUIRED):
        raise Unusable("the source has no field map for key and body (sources add --map)")

    def value(name: str) -> str:
        return _words(dig(data, paths[name])) if name in paths else ""

    def required(name: str) -> str:
        if not value(name):
            raise Unusable(f"{paths[name]} (the {name}) is missing")
        return value(name)

    key = required("key")
    event = EVENTS.get((value("event") or "new").lower())
    if event is None:
        raise Unusable(f"{paths['event']} is {value('event')!r}: new, follow-up or status")
    if event == "status":
        if "status" not in paths:
            raise Unusable("a status event needs --map status=PATH")
        return [StatusChanged(key, required("status").lower())]
    who = customer(value("name"), value("email"))
    arrived = Arrived(
        key=key,
        body=required("body"),
        title=value("title") or None,
        kind=KINDS.get(value("kind").lower(), Kind.FEEDBACK),
        severity=SEVERITIES.get(value("severity").lower(), Severity.NORMAL),
        customer=who,
        url=web_url(value("url")),
        received_at=timestamp(value("received_at")),
    )
    if event == "new":
        return [arrived]
    author = who.name or who.email
    return [FollowedUp((key,), arrived.body, author, at=arrived.received_at, otherwise=arrived)]


def _words(found: Any) -> str:
    """A value the sender gave as text or a number; anything else is no value."""
    if isinstance(found, bool) or not isinstance(found, str | int | float):
        return ""
    return str(found).strip()


def _filled(paths: dict[str, str]) -> bytes:
    document: dict[str, Any] = {}
    for name, path in paths.items():
        _put(document, path, SAMPLE_VALUES[name])
    return json.dumps(document).encode()


def _put(document: dict[str, Any], path: str, value: Any) -> None:
    """Place `value` at `path`, making the objects (and lists, for numbered steps) on the way;
    where two paths disagree about a step, the later one wins."""
    steps = path.split(".")
    here: Any = document
    for step, following in zip(steps, [*steps[1:], None], strict=True):
        slot: Any = step
        if isinstance(here, list):  # made for this numbered step
            slot = int(step)
            here.extend([None] * (slot + 1 - len(here)))
        if following is None:
            here[slot] = value
            return
        wanted = list if following.isdigit() else dict
        if not isinstance(here[slot] if isinstance(here, list) else here.get(slot), wanted):
            here[slot] = wanted()
        here = here[slot]


sample = _filled(EXAMPLE_MAP)
