"""API tokens: shown once at creation, kept only as a SHA-256 hash, revocable by name; each
limited to the sources it may submit and, unless made with read access, to writing only."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Iterable

from bot.errors import Conflict, Invalid, NotFound, SetupError
from bot.intake import SOURCE_SLUG
from bot.ports.clock import Clock, SystemClock
from bot.ports.records import TokenGrant, TokenInfo, TokenScope
from bot.ports.store import Store
from bot.sources.kinds import SourceKind

TOKEN_PREFIX = "ah_"  # noqa: S105 - a prefix, not a secret
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
# What `serve --dev`'s token (and any token made before scopes) may do: everything.
FULL_SCOPE = TokenScope(sources=None, read=True, erase=True)


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 cannot be brute-forced back."""
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens:
    """Creates and checks API tokens.

    A valid token is remembered for `cache_seconds`, so busy clients do not cost a database
    read per request; revoking here forgets it at once, revoking from another process (the
    CLI, another replica) takes effect within `cache_seconds`.
    """

    def __init__(
        self, db: Store, clock: Clock | None = None, *, cache_seconds: float = 5.0
    ) -> None:
        self._db = db
        self._clock: Clock = clock or SystemClock()
        self._cache_seconds = cache_seconds
        self._valid: dict[str, tuple[TokenGrant, float]] = {}

    def create(
        self, name: str, sources: Iterable[str] = (), *, read: bool = False, lead: bool = False
    ) -> str:
        """A new token that may submit items of `sources` (none given: of any source) and, with
        `read`, read items and customers; without it the token may only write. A `lead` token
        may also erase a customer (`DELETE /api/v1/customers/EMAIL`)."""
        if not _NAME.match(name):
            raise Invalid(
                "A token name is letters, digits, '.', '_' or '-' (e.g. zendesk).", "name"
            )
        scope = TokenScope(self._known_sources(sources), read, lead)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._db.write() as uow:
            if not uow.tokens.add(name, hash_token(token), scope, self._clock.now()):
                raise Conflict(
                    f"A token named {name} is in use; rotate it (`allhands token rotate "
                    f"{name}`), revoke it, or pick a new name."
                )
            uow.commit()
        return token

    def rotate(self, name: str, *, missing_ok: bool = False) -> str:
        """A new token under `name` that may do what the old one could, the old one revoked
        in the same transaction, so the name never has two live tokens nor a moment with none.
        `missing_ok` creates it, allowed everything, when there is none yet (`serve --dev`'s
        one token, replaced every run)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._db.write() as uow:
            now = self._clock.now()
            scope = uow.tokens.scope_of(name)
            if scope is None and not missing_ok:
                raise NotFound(f"There is no active token named {name} to rotate.")
            uow.tokens.revoke(name, now)
            fresh = scope or FULL_SCOPE
            if not uow.tokens.add(name, hash_token(token), fresh, now):  # rotated meanwhile
                raise Conflict(f"The token {name} was replaced meanwhile; try again.")
            uow.commit()
        self._forget(name)
        return token

    def all(self) -> list[TokenInfo]:
        with self._db.read() as uow:
            return uow.tokens.all()

    def revoke(self, name: str) -> None:
        with self._db.write() as uow:
            if not uow.tokens.revoke(name, self._clock.now()):
                raise NotFound(f"There is no active token named {name}.")
            uow.commit()
        self._forget(name)

    def _forget(self, name: str) -> None:
        self._valid = {h: v for h, v in self._valid.items() if v[0].name != name}

    def _known_sources(self, sources: Iterable[str]) -> frozenset[str] | None:
        """The sources a token is limited to (None: no limit). A source is known when it is a
        kind of source, a registered source, or one some item came from: a typo would
        otherwise make a token that is refused everything it sends. A mistake in what the
        command was given, so `SetupError` (the command line exits 2)."""
        wanted = [source.strip().lower() for source in sources]
        if not wanted:
            return None
        if "" in wanted:
            raise SetupError("--source cannot be blank: name a source, e.g. zendesk")
        kinds = {kind.value for kind in SourceKind}
        with self._db.read() as uow:
            unknown = [
                source
                for source in wanted
                if not SOURCE_SLUG.match(source)
                or not (
                    source in kinds
                    or uow.sources.get(source) is not None
                    or uow.feedback.has_source(source)
                )
            ]
        if unknown:
            raise SetupError(
                f"unknown source '{unknown[0]}': name a kind of source "
                f"({', '.join(sorted(kinds))}), a registered one (`allhands sources list`) "
                "or one items already came from"
            )
        return frozenset(wanted)

    def cached(self, token: str) -> TokenGrant | None:
        """The token's grant if it was valid moments ago; None means "ask `authenticate`"."""
        hit = self._valid.get(hash_token(token))
        return hit[0] if hit and hit[1] > time.monotonic() else None

    def authenticate(self, token: str) -> TokenGrant | None:
        """Whose the token is and what it may do, or None when it is unknown or revoked."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        token_hash = hash_token(token)
        with self._db.read() as uow:
            grant = uow.tokens.grant_for_hash(token_hash)
        if grant is not None:
            self._valid[token_hash] = (grant, time.monotonic() + self._cache_seconds)
        return grant
