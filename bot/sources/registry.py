"""Registering sources: what each is, the URL its vendor posts to, its secret (sealed).

Every replica reads the same sources from the database; the receiving path asks `cached()`,
which re-reads a source at most every few seconds, so a source added or removed with the CLI
is live everywhere without a restart.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

from bot.admin.secrets import SecretBox
from bot.errors import Conflict, Invalid, NotFound
from bot.ports.clock import Clock
from bot.ports.records import StoredSource
from bot.ports.store import Store
from bot.sources.kinds import SourceKind
from bot.sources.mailboxes import SHAPE, MailboxAddress

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
CACHE_SECONDS = 2.0
NEEDS_URL = frozenset({SourceKind.IMAP})
# What an app store source cannot be polled without: (option, the `sources add` flag giving it).
NEEDS_ACCESS = {
    SourceKind.APPSTORE: (
        ("app_id", "--app-id"),
        ("key_id", "--key-id"),
        ("issuer_id", "--issuer-id"),
        ("credentials", "--key-file"),
    ),
    SourceKind.GOOGLEPLAY: (("package", "--package"), ("credentials", "--service-account")),
}


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """A source as the code uses it: its secret and credentials opened."""

    name: str
    kind: SourceKind
    secret: str | None = None
    credentials: str | None = None  # the vendor API token, an IMAP URL's password …
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Added:
    source: SourceConfig
    url: str | None  # where the vendor posts (webhook kinds)
    generated_secret: str | None  # made up here, to paste into the vendor's settings


class SourceRegistry:
    def __init__(self, db: Store, box: SecretBox, clock: Clock, public_url: str = "") -> None:
        self._db = db
        self._box = box
        self._clock = clock
        self._public_url = public_url.rstrip("/")
        self._cache: dict[str, tuple[float, SourceConfig | None]] = {}

    def add(
        self,
        kind: str,
        name: str,
        *,
        secret: str | None = None,
        credentials: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Added:
        chosen = _kind(kind)
        if not _NAME.match(name):
            raise Invalid(
                "A source name is lower-case letters, digits, '.', '_' or '-' (e.g. zendesk).",
                "name",
            )
        generated = None
        if secret is None and chosen.secret_is_ours:
            secret = generated = secrets.token_urlsafe(32)
        if secret is None and not chosen.polled:
            raise Invalid(
                f"A {chosen} source needs the signing secret {chosen} shows you: --secret.",
                "secret",
            )
        settings = dict(options or {})
        if chosen in NEEDS_URL and not settings.get("url"):
            raise Invalid(f"A {chosen} source needs --url.", "url")
        given = {**settings, "credentials": credentials}
        missing = [flag for option, flag in NEEDS_ACCESS.get(chosen, ()) if not given.get(option)]
        if missing:
            flags = [flag for _, flag in NEEDS_ACCESS[chosen]]
            raise Invalid(
                f"{chosen} sources need {', '.join(flags[:-1])} and {flags[-1]}; "
                f"missing: {', '.join(missing)}.",
                missing[0].lstrip("-"),
            )
        if chosen is SourceKind.IMAP:
            settings["url"], credentials = _mailbox(str(settings["url"]), credentials)
        stored = StoredSource(
            name,
            chosen.value,
            self._box.seal(secret) if secret else None,
            self._box.seal(credentials) if credentials else None,
            json.loads(json.dumps(settings)),
            self._clock.now(),
        )
        with self._db.write() as uow:
            if not uow.sources.add(stored):
                raise Conflict(f"A source named {name} exists already; remove it first.")
            uow.commit()
        source = self._opened(stored)
        self._cache.pop(name, None)
        return Added(source, self.url_for(source), generated)

    def all(self) -> list[SourceConfig]:
        with self._db.read() as uow:
            stored = uow.sources.all()
        return [self._opened(s) for s in stored]

    def listed(self) -> list[tuple[str, str]]:
        """Every source's name and kind, for people to read: no secret is even opened."""
        with self._db.read() as uow:
            return [(stored.name, stored.kind) for stored in uow.sources.all()]

    def get(self, name: str) -> SourceConfig:
        with self._db.read() as uow:
            stored = uow.sources.get(name)
        if stored is None:
            raise NotFound(f"There is no source named {name}.")
        return self._opened(stored)

    def cached(self, name: str) -> SourceConfig | None:
        """The source as every replica sees it, re-read at most every `CACHE_SECONDS`."""
        hit = self._cache.get(name)
        if hit and hit[0] > monotonic():
            return hit[1]
        try:
            found: SourceConfig | None = self.get(name)
        except NotFound:
            found = None
        self._cache[name] = (monotonic() + CACHE_SECONDS, found)
        return found

    async def find(self, name: str) -> SourceConfig | None:
        """`cached` for the event loop: a fresh answer at once (every delivery asks), and only
        a stale one is read again, in a worker thread."""
        hit = self._cache.get(name)
        if hit and hit[0] > monotonic():
            return hit[1]
        return await asyncio.to_thread(self.cached, name)

    def remove(self, name: str) -> None:
        with self._db.write() as uow:
            if not uow.sources.remove(name):
                raise NotFound(f"There is no source named {name}.")
            uow.mailboxes.forget(name)
            uow.commit()
        self._cache.pop(name, None)

    def url_for(self, source: SourceConfig) -> str | None:
        """Where the vendor should post: absolute when ALLHANDS_PUBLIC_URL is set. Vendors that
        sign nothing get the secret in the URL."""
        if source.kind.polled:
            return None
        url = f"{self._public_url}/sources/{source.name}"
        if source.kind.secret_in_url and source.secret:
            url += f"?key={source.secret}"
        return url

    def _opened(self, stored: StoredSource) -> SourceConfig:
        return SourceConfig(
            stored.name,
            SourceKind(stored.kind),
            self._box.open(stored.sealed_secret) if stored.sealed_secret else None,
            self._box.open(stored.sealed_credentials) if stored.sealed_credentials else None,
            stored.options,
        )


def _mailbox(url: str, credentials: str | None) -> tuple[str, str]:
    """A mailbox URL without its password, and the password, which is sealed as the source's
    credentials: never an option, so never listed or logged."""
    address, password = MailboxAddress.parse(url)
    password = password or credentials
    if not password:
        raise Invalid(f"The mailbox URL needs its password: {SHAPE}.", "url")
    return address.url, password


def _kind(kind: str) -> SourceKind:
    try:
        return SourceKind(kind.lower())
    except ValueError:
        known = ", ".join(k.value for k in SourceKind)
        raise Invalid(f"'{kind}' is not a kind of source; kinds are {known}.", "kind") from None
